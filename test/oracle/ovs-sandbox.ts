/**
 * A private, userspace-only Open vSwitch for differential tests (the method of
 * ../shared/oracles/ovs/sandbox-up.sh): ovsdb-server and ovs-vswitchd
 * `--enable-dummy --disable-system --disable-system-route` with every file and
 * unix socket in a fresh temp dir, bridges `datapath_type=dummy`, frames in
 * through `netdev-dummy/receive` one at a time (waiting until the datapath
 * took each one, then purging the datapath flows so every frame is translated
 * afresh), frames out through `options:tx_pcap`. Stopped by pid (TERM, then
 * KILL), the dir removed, also when a test fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { OvsHostConfig } from '../../src/model/topology-schema.js';
import { hybridNames } from '../../src/ovs/bridge.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Throws a clear error when OVS is not installed (tests must not skip silently). */
export function requireOvs(): void {
  for (const b of ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl', 'ovs-appctl']) {
    try {
      execFileSync('sh', ['-c', `command -v ${b}`], { stdio: 'pipe' });
    } catch {
      throw new Error(`${b} is missing: apt-get install -y --no-install-recommends openvswitch-switch openvswitch-common`);
    }
  }
  if (!existsSync(SCHEMA)) throw new Error(`${SCHEMA} is missing (openvswitch-common)`);
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

export class OvsSandbox {
  /** Topology port name -> the name OVS knows it by (a hybrid tap's qvo port). */
  private readonly ovsNames = new Map<string, string>();

  private constructor(readonly dir: string) {}

  private ovsName(port: string): string {
    return this.ovsNames.get(port) ?? port;
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, OVS_RUNDIR: this.dir, OVS_LOGDIR: this.dir, OVS_DBDIR: this.dir, OVS_SYSCONFDIR: this.dir };
  }

  static start(): OvsSandbox {
    requireOvs();
    // short path: unix socket names are limited to ~107 bytes
    const sb = new OvsSandbox(mkdtempSync('/tmp/vsovs-'));
    try {
      const d = sb.dir;
      execFileSync('ovsdb-tool', ['create', join(d, 'conf.db'), SCHEMA], { env: sb.env, stdio: 'pipe' });
      execFileSync('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${d}/ovsdb-server.pid`, `--log-file=${d}/ovsdb-server.log`,
        '-vconsole:off', '-vsyslog:off', `--remote=punix:${d}/db.sock`, join(d, 'conf.db')], { env: sb.env, stdio: 'pipe' });
      sb.vsctl('--no-wait', 'init');
      execFileSync('ovs-vswitchd', ['--detach', '--no-chdir', `--pidfile=${d}/ovs-vswitchd.pid`, `--log-file=${d}/ovs-vswitchd.log`,
        '-vconsole:off', '-vsyslog:off', '--enable-dummy', '--disable-system', '--disable-system-route', `unix:${d}/db.sock`],
      { env: sb.env, stdio: 'pipe' });
      for (let i = 0; i < 200; i++) {
        try {
          sb.appctl('version');
          return sb;
        } catch {
          sleep(25);
        }
      }
      throw new Error('ovs-vswitchd did not answer on its control socket');
    } catch (err) {
      sb.stop();
      throw err;
    }
  }

  vsctl(...args: string[]): string {
    return execFileSync('ovs-vsctl', ['--timeout=10', `--db=unix:${this.dir}/db.sock`, ...args], { env: this.env, encoding: 'utf8', stdio: 'pipe' });
  }
  ofctl(...args: string[]): string {
    return execFileSync('ovs-ofctl', ['-O', 'OpenFlow13', ...args], { env: this.env, encoding: 'utf8', stdio: 'pipe' });
  }
  appctl(...args: string[]): string {
    return execFileSync('ovs-appctl', args, { env: this.env, encoding: 'utf8', stdio: 'pipe' });
  }

  /** Builds an OVS host of the topology: bridges, ports (dummy), VLAN settings, patch peers, flows; tx_pcap on every port. */
  build(host: OvsHostConfig): void {
    const u = host.underlay;
    for (const b of host.bridges) {
      this.vsctl('add-br', b.name, '--', 'set', 'bridge', b.name, 'datapath_type=dummy', `fail_mode=${b.fail_mode}`,
        'protocols=OpenFlow10,OpenFlow13', ...(u.bridge === b.name && u.mac ? [`other-config:hwaddr=${u.mac}`] : []),
        '--', 'set', 'interface', b.name, `options:tx_pcap=${this.pcap(b.name)}`);
      for (const p of b.ports) {
        // hybrid plumbing: OVS has the qvo end of the veth pair (the tap and qbr are Linux's); its capture keeps the tap's name
        const name = p.hybrid ? hybridNames(p.name).qvo : p.name;
        this.ovsNames.set(p.name, name);
        const args = ['add-port', b.name, name, '--', 'set', 'interface', name];
        if (p.type === 'patch') args.push('type=patch', `options:peer=${p.peer}`);
        else if (p.type === 'tunnel' && p.tunnel) {
          const t = p.tunnel;
          const key = t.key === 'flow' ? ['options:in_key=flow', 'options:out_key=flow'] : [`options:key=${t.key}`];
          args.push(`type=${t.type}`, `options:remote_ip=${t.remote_ip}`, ...key, ...(t.type === 'gre' ? [] : [`options:dst_port=${t.dst_port ?? 4789}`]),
            'options:df_default=true', `options:csum=${t.csum}`);
        }
        else if (p.type === 'internal') args.push('type=internal', `options:tx_pcap=${this.pcap(p.name)}`);
        else args.push('type=dummy', `options:tx_pcap=${this.pcap(p.name)}`);
        if (p.ofport !== undefined) args.push(`ofport_request=${p.ofport}`);
        const portSet: string[] = [];
        if (p.tag !== undefined) portSet.push(`tag=${p.tag}`);
        if (p.trunks?.length) portSet.push(`trunks=${p.trunks.join(',')}`);
        if (p.vlan_mode) portSet.push(`vlan_mode=${p.vlan_mode}`);
        if (portSet.length) args.push('--', 'set', 'port', name, ...portSet);
        this.vsctl(...args);
      }
      for (const m of b.mirrors) {
        const names = [...new Set([...m.select_src_port, ...m.select_dst_port, ...(m.output_port ? [m.output_port] : [])])];
        const ids = names.flatMap((n, i) => ['--', `--id=@p${i}`, 'get', 'port', this.ovsName(n)]);
        const ref = (list: string[]): string => list.map((n) => `@p${names.indexOf(n)}`).join(',');
        const cols = [`name=${m.name}`];
        if (m.select_src_port.length) cols.push(`select-src-port=${ref(m.select_src_port)}`);
        if (m.select_dst_port.length) cols.push(`select-dst-port=${ref(m.select_dst_port)}`);
        if (m.select_all) cols.push('select-all=true');
        if (m.select_vlan.length) cols.push(`select-vlan=${m.select_vlan.join(',')}`);
        if (m.output_port) cols.push(`output-port=${ref([m.output_port])}`);
        if (m.output_vlan !== undefined) cols.push(`output-vlan=${m.output_vlan}`);
        this.vsctl(...ids, '--', '--id=@m', 'create', 'mirror', ...cols, '--', 'add', 'bridge', b.name, 'mirrors', '@m');
      }
      if (b.flows !== undefined) {
        this.ofctl('del-flows', b.name);
        const f = join(this.dir, `${b.name}.flows`);
        writeFileSync(f, stripDumpFlows(b.flows));
        this.ofctl('add-flows', b.name, f);
      }
    }
    if (u.bridge && u.ip) {
      // as neutron-host.sh: VTEP address on the LOCAL port, /32 routes and static neighbours
      this.appctl('netdev-dummy/ip4addr', u.bridge, u.ip);
      for (const [ip, mac] of Object.entries(u.neighbours ?? {})) {
        try {
          this.appctl('ovs/route/add', `${ip}/32`, u.bridge);
        } catch {
          /* already routed by ip4addr */
        }
        this.appctl('tnl/neigh/set', u.bridge, ip, mac);
      }
    }
    if (u.egress_port_range) this.appctl('tnl/egress_port_range', String(u.egress_port_range[0]), String(u.egress_port_range[1]));
    this.appctl('revalidator/wait');
  }

  pcap(port: string): string {
    return join(this.dir, `${port}-tx.pcap`);
  }

  private rxPackets(port: string): number {
    const out = this.appctl('dpctl/show', '-s');
    const lines = out.split('\n');
    const at = lines.findIndex((l) => new RegExp(`^\\s+port \\d+: ${port}( |$)`).test(l));
    if (at < 0) throw new Error(`port ${port} not in dpctl/show`);
    for (let k = at + 1; k < lines.length && !/^\s+port \d+:/.test(lines[k]); k++) {
      const m = /RX packets:(\d+)/.exec(lines[k]);
      if (m) return Number(m[1]);
    }
    return 0;
  }

  /**
   * Injects one frame and waits until the datapath has taken it; then purges
   * the datapath flows. Returns the megaflows the frame installed
   * (`dpctl/dump-flows` lines, taken before the purge) when `dump` is set.
   */
  inject(port: string, frame: Uint8Array, dump = false): string[] {
    const name = this.ovsName(port);
    const before = this.rxPackets(name);
    this.appctl('netdev-dummy/receive', name, Buffer.from(frame).toString('hex'));
    for (let i = 0; i < 400 && this.rxPackets(name) <= before; i++) sleep(5);
    const flows = dump ? this.appctl('dpctl/dump-flows').split('\n').filter((l) => l.includes('actions:')) : [];
    this.appctl('revalidator/purge');
    return flows;
  }

  /** ofproto/trace's "Datapath actions:" with port numbers turned into port names. */
  traceActions(bridge: string, flow: string, packet?: Uint8Array): string {
    const out = this.appctl('ofproto/trace', bridge, flow, ...(packet ? [Buffer.from(packet).toString('hex')] : []));
    const line = out.split('\n').find((l) => l.startsWith('Datapath actions: '));
    if (!line) throw new Error(`no datapath actions in trace:\n${out}`);
    return line.slice('Datapath actions: '.length);
  }

  /** Datapath port number → name, from dpif/show. */
  dpPortNames(): Map<number, string> {
    const m = new Map<number, string>();
    for (const l of this.appctl('dpctl/show').split('\n')) {
      const x = /^\s+port (\d+): (\S+)/.exec(l);
      if (x) m.set(Number(x[1]), x[2]);
    }
    return m;
  }

  /** Frames a port transmitted (reads its tx pcap; call after stop() so every capture is flushed). */
  txFrames(port: string): Uint8Array[] {
    const f = this.pcap(port);
    if (!existsSync(f)) return [];
    return readClassicPcap(readFileSync(f));
  }

  /** Stops both daemons by pid; keeps the dir until remove(). */
  stop(): void {
    for (const name of ['ovs-vswitchd', 'ovsdb-server']) {
      const pf = join(this.dir, `${name}.pid`);
      if (!existsSync(pf)) continue;
      const pid = Number(readFileSync(pf, 'utf8').trim());
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
          sleep(20);
        } catch {
          break;
        }
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** ovs-ofctl add-flows does not take dump-flows counters: drop them (and the reply header). */
export function stripDumpFlows(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(OFPST_FLOW|NXST_FLOW) reply/.test(l))
    .map((l) => l.replace(/\b(cookie|duration|n_packets|n_bytes|idle_age|hard_age)=[^,\s]*,?\s*/g, '').trim())
    .join('\n');
}

/** Minimal classic pcap reader (little or big endian) for the oracle's captures. */
export function readClassicPcap(buf: Buffer): Uint8Array[] {
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a classic pcap');
  const out: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    off += 16;
    if (off + incl > buf.length) break;
    out.push(Uint8Array.from(buf.subarray(off, off + incl)));
    off += incl;
  }
  return out;
}
