/**
 * The fabric of src/vrouter/fabric.ts with every compute node run by the
 * datapath engine (flow cache + VrouterSlowPath) instead of the per-packet
 * model: a frame sent into a vif is processed by its node's engine, frames
 * out of a physical vif go to the node owning the outer destination address,
 * and the slow path's packet-outs (proxy ARP, overlay-MTU answers) count as
 * outputs. One frame per engine batch, so installs reach the cache a couple
 * of frames later (the engine's pipeline), exactly as in a replay.
 */
import { PacketBatch } from '../datapath/batch.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { DatapathEngine, type EngineStats } from '../datapath/engine.js';
import { formatActions } from '../datapath/actions.js';
import { formatFlow } from '../datapath/flow-key.js';
import type { VrouterHostConfig } from './config.js';
import type { FabricDelivery } from './fabric.js';
import { OuterIpIds } from './outer-ip-id.js';
import { bytesEqual, readEth, readIp } from './packet.js';
import { VrouterSlowPath } from './slow-path.js';

interface Node {
  name: string;
  slowPath: VrouterSlowPath;
  engine: DatapathEngine;
  /** Packets processed so far (the engine's input positions). */
  packets: number;
  /** Translation traces of the frame being processed. */
  trace: string[];
  /** The node's outer IPv4 ID counter (stamped on outputs in order, as the per-packet model does). */
  ipIds: OuterIpIds;
}

export class VrouterDatapathFabric {
  private readonly nodes = new Map<string, Node>();

  /** `cache: false` sends every packet through the slow path (--no-cache). */
  constructor(configs: readonly VrouterHostConfig[], opts: { cache?: boolean } = {}) {
    for (const c of configs) {
      if (this.nodes.has(c.name)) throw new RangeError(`duplicate vRouter host name "${c.name}"`);
      const slowPath = new VrouterSlowPath(c);
      const node: Node = { name: c.name, slowPath, engine: DatapathEngine.create({ slowPath, cache: opts.cache ?? true, inProcess: true }), packets: 0, trace: [], ipIds: new OuterIpIds([c.mplsoudpPort, c.vxlanPort]) };
      node.engine.onTranslate = (u, t, err) => {
        node.trace.push(`upcall (in_port ${u.inPort}):`, ...(t?.trace ?? [`translation failed: ${err instanceof Error ? err.message : String(err)}`]));
      };
      this.nodes.set(c.name, node);
    }
  }

  private node(name: string): Node {
    const n = this.nodes.get(name);
    if (!n) throw new RangeError(`expected a vRouter host among ${[...this.nodes.keys()].join(', ')}, received "${name}"`);
    return n;
  }

  hostNames(): string[] {
    return [...this.nodes.keys()];
  }

  hasHost(name: string): boolean {
    return this.nodes.has(name);
  }

  /** The host and vif of a VM interface by its name (e.g. "tap-vm1"). */
  findVif(name: string): { host: string; vif: number } {
    for (const n of this.nodes.values()) for (const v of n.slowPath.tables.vifs.values()) if (v.name === name) return { host: n.name, vif: v.id };
    throw new RangeError(`no vif named "${name}" in the fabric`);
  }

  /** One frame on one node: its outputs (datapath then packet-outs) and drop reason. */
  private async process(n: Node, vif: number, frame: Uint8Array): Promise<{ outputs: { vif: number; frame: Uint8Array }[]; drop?: string; trace: string[] }> {
    const b = PacketBatch.create({ capacity: 1, dataSize: frame.length + 1024, headroom: 192 });
    b.append(frame, { inPort: vif });
    const seq = n.packets++;
    const r = await n.engine.process(b);
    const outputs: { vif: number; frame: Uint8Array }[] = [];
    r.forEachOutput((port, bytes) => outputs.push({ vif: port, frame: bytes.slice() }));
    for (const p of n.slowPath.packetOuts.splice(0)) if (p.seq === seq) outputs.push({ vif: p.vif, frame: p.frame });
    n.ipIds.stamp(n.slowPath.tables, vif, frame, outputs);
    const d = r.drops[0];
    const trace = n.trace.splice(0);
    if (trace.length === 0) trace.push('flow cache hit');
    return { outputs, trace, ...(outputs.length === 0 && d !== 0 ? { drop: DROP_REASONS[d][0] } : {}) };
  }

  /** Injects one frame on a vif and follows it across the fabric until it is delivered or dropped. */
  async send(hostName: string, vif: number, frame: Uint8Array): Promise<FabricDelivery> {
    const d: FabricDelivery = { delivered: [], wire: [], drops: [], trace: [], events: [] };
    const queue: { node: Node; vif: number; frame: Uint8Array }[] = [{ node: this.node(hostName), vif, frame }];
    let hops = 0;
    while (queue.length > 0) {
      if (++hops > 64) throw new RangeError('fabric: more than 64 hops for one frame (forwarding loop)');
      const { node, vif: inVif, frame: f } = queue.shift()!;
      d.events.push({ host: node.name, dir: 'rx', vif: inVif, frame: f });
      const r = await this.process(node, inVif, f);
      for (const line of r.trace) d.trace.push(`[${node.name}] ${line}`);
      if (r.drop) d.drops.push({ host: node.name, reason: r.drop });
      for (const o of r.outputs) {
        d.events.push({ host: node.name, dir: 'tx', vif: o.vif, frame: o.frame });
        if (node.slowPath.tables.vifs.get(o.vif)?.type !== 'physical') {
          d.delivered.push({ host: node.name, vif: o.vif, frame: o.frame });
          continue;
        }
        const eth = readEth(o.frame);
        const ip = eth ? readIp(o.frame, eth.l3, eth.type) : undefined;
        const peer = ip ? [...this.nodes.values()].find((p) => bytesEqual(p.slowPath.tables.vhostIp, ip.dst)) : undefined;
        d.wire.push({ from: node.name, to: peer?.name, frame: o.frame });
        const pv = peer?.slowPath.tables.physical();
        if (peer && pv) queue.push({ node: peer, vif: pv.id, frame: o.frame });
      }
    }
    return d;
  }

  /**
   * The megaflows of a node, dpctl/dump-flows style:
   * "recirc_id(0),in_port(3),eth(dst=...),eth_type(0x0800), packets:2, bytes:196, actions:set(ip(ttl=63)),...,4".
   */
  async flows(hostName: string): Promise<string[]> {
    const n = this.node(hostName);
    const dumps = await n.engine.dumpFlows();
    return dumps.map((f) => `${formatFlow(f.key, f.mask)}, packets:${f.packets}, bytes:${f.bytes}, actions:${formatActions(f.actions)}`);
  }

  async stats(hostName: string): Promise<EngineStats> {
    return this.node(hostName).engine.stats();
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.engine.close()));
  }
}
