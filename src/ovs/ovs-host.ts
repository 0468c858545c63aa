/**
 * One modelled OVS host: its bridges sharing one datapath (datapath port 0
 * is the datapath itself, as in OVS), patch-port peering, and the slow path
 * run per packet: extract the flow, translate, execute the datapath actions.
 */
import { Bridge, OFPP_LOCAL, type PortConfig, type OvsPort } from './bridge.js';
import { extractFlow, type Flow } from './flow.js';
import { odpExecute, type OdpOutput } from './odp-execute.js';
import { xlate, type XlateEnv, type XlateResult } from './xlate.js';

export interface ReceiveResult {
  inPort: OvsPort;
  xlate: XlateResult;
  outputs: (OdpOutput & { name: string })[];
}

export class OvsHost {
  readonly bridges = new Map<string, Bridge>();
  private nextDp = 1;
  private readonly byDp = new Map<number, OvsPort>();
  /** The underlay (native tunnels): bridge holding the VTEP IP/MAC on its LOCAL port, static neighbours. */
  underlay?: { bridge: string; ip: string; prefix: number; mac: string; neighbours: Record<string, string> };
  /** tnl/egress_port_range (default OVS 32768-61000). */
  egressPortRange: [number, number] = [32768, 61000];

  constructor(readonly name = 'host') {}

  /** Adds a bridge; its LOCAL port gets the next datapath port unless `localDpPort` is given. */
  addBridge(name: string, localDpPort?: number): Bridge {
    if (this.bridges.has(name)) throw new RangeError(`duplicate bridge ${name}`);
    const dp = localDpPort ?? this.nextDp++;
    const br = new Bridge(name, dp);
    this.bridges.set(name, br);
    this.index(br.ports[0]);
    return br;
  }

  /** Adds a port; `dpPort` defaults to the next free datapath port (patch ports get none). */
  addPort(bridge: string, cfg: Omit<PortConfig, 'dpPort'> & { dpPort?: number }): OvsPort {
    const br = this.bridges.get(bridge);
    if (!br) throw new RangeError(`no bridge ${bridge}`);
    const dpPort = cfg.type === 'patch' ? -1 : (cfg.dpPort ?? this.nextDp++);
    const p = br.addPort({ ...cfg, dpPort });
    if (dpPort >= 0) this.index(p);
    return p;
  }

  private index(p: OvsPort): void {
    if (this.byDp.has(p.dpPort)) throw new RangeError(`datapath port ${p.dpPort} used twice`);
    this.byDp.set(p.dpPort, p);
    if (p.dpPort >= this.nextDp) this.nextDp = p.dpPort + 1;
  }

  portByDp(dp: number): OvsPort | undefined {
    return this.byDp.get(dp);
  }

  /** Finds a port by name in any bridge. */
  port(name: string): OvsPort | undefined {
    for (const br of this.bridges.values()) {
      const p = br.ports.find((x) => x.name === name);
      if (p) return p;
    }
    return undefined;
  }

  /** Translates a flow entering `port` (no side effects unless mayLearn). */
  translate(port: OvsPort, flow: Flow, mayLearn: boolean, packet?: Uint8Array): XlateResult {
    const env: XlateEnv = {
      peerOf: (peer) => this.port(peer),
      ...(this.underlay ? { underlay: this.underlay } : {}),
      egressPortRange: this.egressPortRange,
      ports: () => [...this.bridges.values()].flatMap((b) => b.ports),
      bridge: (name) => this.bridges.get(name),
    };
    return xlate(port.bridge, { ...flow, in_port: BigInt(port.ofport) }, { mayLearn, ...(packet ? { packet } : {}) }, env);
  }

  /** The slow path for one received frame: learns, outputs per datapath port. */
  receive(portName: string, frame: Uint8Array): ReceiveResult {
    const p = this.port(portName);
    if (!p) throw new RangeError(`no port ${portName}`);
    if (p.ofport === OFPP_LOCAL && p.dpPort < 0) throw new RangeError(`port ${portName} has no datapath port`);
    const res = this.translate(p, extractFlow(frame, p.ofport), true, frame);
    const outputs = odpExecute(frame, res.actions, this.egressPortRange).map((o) => ({ ...o, name: this.portByDp(o.port)?.name ?? String(o.port) }));
    return { inPort: p, xlate: res, outputs };
  }
}
