/**
 * A vRouter compute node in a replay: VrouterSlowPath (src/vrouter) as the
 * engine's slow path, datapath ports = vif ids, ports named by the vif's name
 * as `vif --list` shows it (`tap-red1`, `eth0`, `vhost0`), the physical vif
 * on the fabric with the vhost0 address, and `Vrouter.input` as the
 * per-packet fallback (and the whole path of a model-only run).
 *
 * Every packet's outcome goes through `settle()`: the vRouter's outer IPv4
 * ID counter is stamped on tunnel packets in output order (as the per-packet
 * model does: src/vrouter/outer-ip-id.ts), and the vif, drop and flow
 * counters are updated (src/vrouter/datapath-counters.ts) so that
 * `counters()` gives what `vif --list`, `dropstats` and `flow -l` show.
 */
import type { DatapathEngine } from '../datapath/engine.js';
import type { VrouterHostConfig } from '../vrouter/config.js';
import { accountDatapathPacket } from '../vrouter/datapath-counters.js';
import { Vrouter } from '../vrouter/forward.js';
import { OuterIpIds } from '../vrouter/outer-ip-id.js';
import { VrouterSlowPath } from '../vrouter/slow-path.js';
import type { VrouterCountersJson } from '../vrouter/stats.js';
import type { FabricAttachment } from './fabric.js';
import { FallbackSlowPath } from './fallback-slow-path.js';
import { HostEngine, type HostOutput, type HostRuntime, type ModelOutcome, type RuntimeOptions } from './host-runtime.js';

export class VrouterRuntime implements HostRuntime {
  readonly kind = 'vrouter';
  readonly noOutputReason = 'discard';
  readonly slowPath: VrouterSlowPath;
  readonly slow: FallbackSlowPath;
  private readonly engines: HostEngine;
  /** The per-packet model: the fallback, and the holder of the counters the report carries. */
  readonly model: Vrouter;
  private readonly ipIds: OuterIpIds;
  private readonly byName = new Map<string, number>();
  private tracer: Vrouter | undefined;

  constructor(readonly config: VrouterHostConfig, o: RuntimeOptions) {
    this.ipIds = new OuterIpIds([config.mplsoudpPort, config.vxlanPort]);
    this.model = new Vrouter(config, { outerIpIds: this.ipIds });
    this.slowPath = new VrouterSlowPath(config);
    this.slow = new FallbackSlowPath(this.slowPath, o.modelOnly);
    this.engines = new HostEngine(this.slow, o);
    for (const v of this.model.tables.vifs.values()) if (!this.byName.has(v.name)) this.byName.set(v.name, v.id);
  }

  get engine(): DatapathEngine {
    return this.engines.get();
  }

  close(): Promise<void> {
    return this.engines.close();
  }

  get name(): string {
    return this.config.name;
  }

  dpPort(port: string): number | undefined {
    return this.byName.get(port);
  }

  portName(dpPort: number): string {
    return this.model.tables.vifs.get(dpPort)?.name ?? `vif0/${dpPort}`;
  }

  fabricAttachments(): FabricAttachment[] {
    const phys = this.model.tables.physical();
    return phys ? [{ host: this.name, port: phys.name, ip: this.config.vhostIp }] : [];
  }

  modelReceive(_port: string, dpPort: number, frame: Uint8Array): ModelOutcome {
    // Vrouter.input counts and stamps the outer IPv4 IDs itself (same counter as settle()).
    const r = this.model.input(dpPort, frame);
    return { outputs: r.outputs.map((o) => ({ dpPort: o.vif, frame: o.frame })), ...(r.drops.length ? { drop: r.drops[0] } : {}) };
  }

  ofport(): undefined {
    return undefined;
  }

  /**
   * vRouter keeps no learned state that forwarding depends on but its flow
   * table, so a second instance of the same tables (with no counters or outer
   * IPv4 IDs of its own) traces without touching the replay's counters.
   */
  trace(port: string, frame: Uint8Array): string {
    this.tracer ??= new Vrouter(this.config, { outerIpIds: false });
    const vif = this.dpPort(port);
    if (vif === undefined) return `no vif named ${port}`;
    return this.tracer.input(vif, frame).trace.join('\n');
  }

  takePacketOuts(): Map<number, HostOutput[]> {
    const m = new Map<number, HostOutput[]>();
    for (const p of this.slowPath.packetOuts.splice(0)) {
      let l = m.get(p.seq);
      if (!l) m.set(p.seq, (l = []));
      l.push({ dpPort: p.vif, frame: p.frame });
    }
    return m;
  }

  readonly settles = true;

  settle(dpPort: number, frame: Uint8Array, outputs: readonly HostOutput[], drop: string | undefined, viaModel: boolean): void {
    if (viaModel) return; // Vrouter.input did both
    const outs = outputs.map((o) => ({ vif: o.dpPort, frame: o.frame }));
    this.ipIds.stamp(this.model.tables, dpPort, frame, outs);
    accountDatapathPacket(this.model, dpPort, frame, outs, drop);
  }

  counters(): VrouterCountersJson {
    const names = new Map([...this.model.tables.vifs.values()].map((v) => [v.id, v.name]));
    // Every vif is listed (vif --list shows idle ones with zero counters).
    for (const id of names.keys()) this.model.stats.vif(id);
    return this.model.stats.toJson(names);
  }
}
