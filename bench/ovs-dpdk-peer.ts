/**
 * The performance peer of bench/replay.ts: real Open vSwitch with DPDK
 * (Debian's openvswitch-switch-dpdk, `ovs-vswitchd-dpdk`) replaying the same
 * capture through the same host, built from the same topology YAML (bridges,
 * ports, VLAN tags, tunnel options, underlay address, neighbours and the
 * OpenFlow flows verbatim).
 *
 * Entirely private and userspace: its own database, unix sockets, pid and log
 * files in a fresh directory; `--enable-dummy --disable-system
 * --disable-system-route`, bridges with datapath_type=dummy (dpif-netdev), no
 * kernel module, no NIC, no hugepages (EAL `--no-huge --legacy-mem -m 1024
 * --no-pci --no-shconf --iova-mode=va`), one PMD on core 1. The input port
 * and the underlay NIC become DPDK `net_pcap` vdevs: the PMD reads the capture
 * in bursts of 32 and libpcap writes what the NIC sends. Processes are started
 * and stopped by their pid (TERM, then KILL), also when anything fails.
 *
 * Timing (as in OVS's own perf notes for net_pcap): the clock starts when the
 * input port is switched to its net_pcap device (it starts reading at once)
 * and stops at the last increase of the NIC's datapath TX counter, polled
 * every 20 ms; the PMD's own cycles per packet are reported too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { OvsHostConfig } from '../src/model/topology-schema.js';

/** The DPDK build of ovs-vswitchd (Debian's openvswitch-switch-dpdk); OVS_VSWITCHD_DPDK names another. */
export const OVS_DPDK_BINARY = process.env.OVS_VSWITCHD_DPDK ?? '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk';
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface PeerOptions {
  host: OvsHostConfig;
  /** The port the capture enters (a tap port of `host`). */
  inPort: string;
  /** The underlay NIC whose transmitted frames are counted (a system port). */
  nicPort: string;
  /** Classic pcap the input port reads. */
  capture: string;
  /** Frames in the capture. */
  frames: number;
  /** Frames injected at the NIC (netdev-dummy) before the run, e.g. to teach MAC learning; each checked by `learnedMac` in br `learnedOn`. */
  warmup?: { frames: Uint8Array[]; learnedMac: string; learnedOn: string };
  timeoutS?: number;
  /** Keep the sandbox directory (logs, output pcaps) instead of removing it (it is always kept when the peer fails). */
  keep?: boolean;
}

export type PeerResult =
  | {
      ok: true;
      version: string;
      framesIn: number;
      framesOut: number;
      wallS: number;
      pps: number;
      vswitchdCpuS: number;
      cyclesPerPacket: number | null;
      /** The NIC's output capture (only while the directory is kept). */
      nicPcap: string;
      dir: string;
    }
  | { ok: false; reason: string; dir?: string };

/** Why the peer cannot run on this machine, or undefined when it can. */
export function peerUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `OVS-DPDK peer needs Linux (this is ${process.platform})`;
  if (!existsSync(OVS_DPDK_BINARY)) return `${OVS_DPDK_BINARY} is missing: apt-get install openvswitch-switch-dpdk`;
  for (const b of ['ovsdb-tool', 'ovsdb-server', 'ovs-vsctl', 'ovs-ofctl', 'ovs-appctl'])
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} is missing: apt-get install openvswitch-switch`;
  if (!existsSync(SCHEMA)) return `${SCHEMA} is missing: apt-get install openvswitch-common`;
  return undefined;
}

class Sandbox {
  readonly env: NodeJS.ProcessEnv;
  readonly pids: { name: string; pid: number }[] = [];

  constructor(readonly dir: string) {
    this.env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
  }

  /** Runs a command; throws with its stderr on failure. */
  run(cmd: string, args: string[], input?: string): string {
    const r = spawnSync(cmd, args, { env: this.env, encoding: 'utf8', timeout: 30_000, input });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 200)}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]}`);
    return r.stdout;
  }

  vsctl(...args: string[]): string {
    return this.run('ovs-vsctl', ['--timeout=20', `--db=unix:${this.dir}/db.sock`, ...args]);
  }

  appctl(...args: string[]): string {
    return this.run('ovs-appctl', ['--timeout=20', ...args]);
  }

  ofctl(...args: string[]): string {
    return this.run('ovs-ofctl', ['-O', 'OpenFlow13', ...args]);
  }

  pidOf(name: string): number {
    const pid = Number(readFileSync(join(this.dir, `${name}.pid`), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad pid file ${name}.pid`);
    this.pids.push({ name, pid });
    return pid;
  }

  /** Stops what it started, by pid: TERM, then KILL after 5 s. Synchronous, so it also runs from an exit handler. */
  stop(): void {
    for (const { pid } of this.pids.reverse()) {
      if (!alive(pid)) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      const until = Date.now() + 5000;
      while (alive(pid) && Date.now() < until) sleepSync(50);
      if (alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    this.pids.length = 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts ovsdb-server and ovs-vswitchd-dpdk in the sandbox; resolves to the vswitchd version line. */
async function start(sb: Sandbox): Promise<string> {
  const d = sb.dir;
  sb.run('ovsdb-tool', ['create', join(d, 'conf.db'), SCHEMA]);
  sb.run('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${d}/ovsdb-server.pid`, `--log-file=${d}/ovsdb-server.log`, '-vconsole:off', '-vsyslog:off', `--remote=punix:${d}/db.sock`, join(d, 'conf.db')]);
  sb.pidOf('ovsdb-server');
  sb.vsctl('--no-wait', 'init');
  sb.vsctl(
    '--no-wait', 'set', 'open_vswitch', '.',
    'other_config:dpdk-init=true',
    'other_config:dpdk-extra=--no-huge --legacy-mem -m 1024 --no-pci --no-shconf --iova-mode=va',
    'other_config:pmd-cpu-mask=0x2',
    'other_config:dpdk-lcore-mask=0x1',
  );
  sb.run(OVS_DPDK_BINARY, ['--detach', '--no-chdir', `--pidfile=${d}/ovs-vswitchd.pid`, `--log-file=${d}/ovs-vswitchd.log`, '-vconsole:off', '-vsyslog:off', '--enable-dummy', '--disable-system', '--disable-system-route', `unix:${d}/db.sock`]);
  const pid = sb.pidOf('ovs-vswitchd');
  // the DPDK build names its control socket ovs-vswitchd-dpdk.PID.ctl; ovs-appctl looks for ovs-vswitchd.PID.ctl
  const ctl = join(d, `ovs-vswitchd-dpdk.${pid}.ctl`);
  for (let i = 0; i < 600 && !existsSync(ctl); i++) await sleep(50);
  if (!existsSync(ctl)) throw new Error('ovs-vswitchd-dpdk did not create its control socket (see ovs-vswitchd.log)');
  symlinkSync(ctl, join(d, `ovs-vswitchd.${pid}.ctl`));
  let version = '';
  for (let i = 0; i < 600 && !version; i++) {
    try {
      version = sb.appctl('version').split('\n')[0];
    } catch {
      await sleep(50);
    }
  }
  if (sb.vsctl('get', 'open_vswitch', '.', 'dpdk_initialized').trim() !== 'true') throw new Error('DPDK did not initialize (see ovs-vswitchd.log)');
  return version;
}

/** Builds the host: bridges, ports, flows and underlay, as the topology YAML describes them (dummy ports for now). */
function buildHost(sb: Sandbox, host: OvsHostConfig): void {
  const u = host.underlay;
  for (const br of host.bridges) {
    const args = ['--', 'add-br', br.name, '--', 'set', 'bridge', br.name, 'datapath_type=dummy', 'protocols=OpenFlow10,OpenFlow13'];
    if (br.fail_mode === 'secure') args.push('fail_mode=secure');
    if (u.bridge === br.name && u.mac) args.push(`other-config:hwaddr=${u.mac}`);
    for (const p of br.ports) {
      args.push('--', 'add-port', br.name, p.name);
      if (p.tag !== undefined) args.push('--', 'set', 'port', p.name, `tag=${p.tag}`);
      if (p.trunks?.length) args.push('--', 'set', 'port', p.name, `trunks=${p.trunks.join(',')}`);
      if (p.vlan_mode) args.push('--', 'set', 'port', p.name, `vlan_mode=${p.vlan_mode}`);
      const iface = ['--', 'set', 'interface', p.name];
      if (p.ofport !== undefined) iface.push(`ofport_request=${p.ofport}`);
      if (p.type === 'patch') iface.push('type=patch', `options:peer=${p.peer}`);
      else if (p.type === 'tunnel' && p.tunnel) {
        const t = p.tunnel;
        if (t.type !== 'vxlan' && t.type !== 'gre') throw new Error(`port ${p.name}: tunnel type ${t.type} has no OVS equivalent in this peer`);
        iface.push(`type=${t.type}`, `options:remote_ip=${t.remote_ip}`, `options:csum=${t.csum}`, 'options:df_default=true');
        if (t.key === 'flow') iface.push('options:in_key=flow', 'options:out_key=flow');
        else iface.push(`options:key=${t.key}`);
        if (t.dst_port !== undefined) iface.push(`options:dst_port=${t.dst_port}`);
        if (t.local_ip) iface.push(`options:local_ip=${t.local_ip}`);
      } else if (p.type === 'internal') iface.push('type=internal');
      else iface.push('type=dummy');
      if (p.mac && p.type !== 'patch' && p.type !== 'tunnel') iface.push(`other-config:hwaddr=${p.mac}`);
      args.push(...iface);
    }
    sb.vsctl(...args);
    if (br.flows !== undefined) {
      const file = join(sb.dir, `${br.name}.flows`);
      writeFileSync(file, br.flows);
      sb.ofctl('del-flows', br.name);
      sb.ofctl('add-flows', br.name, file);
    }
  }
  if (u.bridge && u.ip) {
    sb.appctl('netdev-dummy/ip4addr', u.bridge, u.ip);
    for (const [ip, mac] of Object.entries(u.neighbours ?? {})) {
      try {
        sb.appctl('ovs/route/add', `${ip}/32`, u.bridge);
      } catch {
        /* the connected route may already cover it */
      }
      sb.appctl('tnl/neigh/set', u.bridge, ip, mac);
    }
  }
  if (u.egress_port_range) sb.appctl('tnl/egress_port_range', String(u.egress_port_range[0]), String(u.egress_port_range[1]));
  try {
    sb.appctl('revalidator/wait');
  } catch {
    /* older builds */
  }
}

/** A classic pcap with no packets: magic a1b2c3d4 (little-endian), 2.4, snaplen 262144, Ethernet. */
const EMPTY_PCAP = Buffer.from('d4c3b2a1' + '02000400' + '00000000' + '00000000' + '00000400' + '01000000', 'hex');

/** The NIC's datapath TX packet counter (dpctl/show -s). */
function nicTx(sb: Sandbox, port: string): number {
  const out = sb.appctl('dpctl/show', '-s');
  const lines = out.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s+port \\d+: ${port}( |$)`).test(l));
  if (at < 0) return 0;
  for (let i = at + 1; i < lines.length && !/^\s+port \d+:/.test(lines[i]); i++) {
    const m = /TX packets:(\d+)/.exec(lines[i]);
    if (m) return Number(m[1]);
  }
  return 0;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}

/** Runs the peer; never throws for a peer failure (the result says why). */
export async function runOvsDpdkPeer(o: PeerOptions): Promise<PeerResult> {
  const why = peerUnavailable();
  if (why) return { ok: false, reason: why };
  const dir = mkdtempSync(join(tmpdir(), 'vs-ovsdpdk-'));
  if (dir.length > 70) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `sandbox path ${dir} is too long for unix sockets (set TMPDIR shorter)` };
  }
  const sb = new Sandbox(dir);
  let failed = false;
  const onExit = (): void => sb.stop();
  process.on('exit', onExit);
  try {
    const version = await start(sb);
    buildHost(sb, o.host);
    const vsd = sb.pids.find((p) => p.name === 'ovs-vswitchd')!.pid;
    if (o.warmup) {
      for (const f of o.warmup.frames) sb.appctl('netdev-dummy/receive', o.nicPort, Buffer.from(f).toString('hex'));
      let learned = false;
      for (let i = 0; i < 50 && !learned; i++) {
        learned = sb.appctl('fdb/show', o.warmup.learnedOn).toLowerCase().includes(o.warmup.learnedMac.toLowerCase());
        if (!learned) await sleep(50);
      }
      if (!learned) throw new Error(`warm-up: ${o.warmup.learnedOn} did not learn ${o.warmup.learnedMac}`);
    }
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, EMPTY_PCAP);
    const nicPcap = join(dir, `${o.nicPort}-tx.pcap`);
    sb.vsctl('set', 'interface', o.nicPort, 'type=dpdk', `options:dpdk-devargs=net_pcap1,rx_pcap=${empty},tx_pcap=${nicPcap}`);
    await sleep(1000);
    sb.appctl('dpif-netdev/pmd-stats-clear');
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const c0 = cpuTicks(vsd);
    const t0 = performance.now();
    sb.vsctl('set', 'interface', o.inPort, 'type=dpdk', `options:dpdk-devargs=net_pcap0,rx_pcap=${o.capture},tx_pcap=${join(dir, `${o.inPort}-tx.pcap`)}`);
    const deadline = t0 + (o.timeoutS ?? 300) * 1000;
    let last = -1;
    let t1 = t0;
    let c1 = c0;
    let stillSince = performance.now();
    for (;;) {
      const n = nicTx(sb, o.nicPort);
      const now = performance.now();
      if (n !== last) {
        last = n;
        t1 = now;
        c1 = cpuTicks(vsd);
        stillSince = now;
      }
      if (n >= o.frames || now - stillSince > 2000) break;
      if (now > deadline) throw new Error(`timeout after ${o.timeoutS ?? 300} s: ${n} of ${o.frames} frames out of ${o.nicPort}`);
      await sleep(20);
    }
    const pmdStats = sb.appctl('dpif-netdev/pmd-stats-show');
    writeFileSync(join(dir, 'pmd-stats.txt'), pmdStats);
    writeFileSync(join(dir, 'megaflows.txt'), sb.appctl('dpctl/dump-flows', '-m'));
    const cyc = /avg processing cycles per packet:\s*([\d.]+)/.exec(pmdStats);
    // detach the vdevs so libpcap flushes and closes the output files
    sb.vsctl('del-port', o.inPort, '--', 'del-port', o.nicPort);
    await sleep(500);
    const wallS = (t1 - t0) / 1000;
    return {
      ok: true,
      version,
      framesIn: o.frames,
      framesOut: last,
      wallS,
      pps: last / wallS,
      vswitchdCpuS: (c1 - c0) / hz,
      cyclesPerPacket: cyc ? Number(cyc[1]) : null,
      nicPcap,
      dir,
    };
  } catch (err) {
    failed = true;
    return { ok: false, reason: `${(err as Error).message} (logs kept in ${dir})`, dir };
  } finally {
    sb.stop();
    process.off('exit', onExit);
    if (!o.keep && !failed) rmSync(dir, { recursive: true, force: true });
  }
}
