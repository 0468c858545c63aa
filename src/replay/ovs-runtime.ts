/**
 * An OVS host in a replay: the OVS model (src/ovs) as the engine's slow
 * path, OpenFlow port names to datapath ports, the `system` ports of the
 * underlay bridge on the fabric (the first one receives), and OvsHost.receive
 * as the per-packet fallback. Keeps no counters of its own beyond the report's.
 */
import type { DatapathEngine } from '../datapath/engine.js';
import type { OvsHostConfig } from '../model/topology-schema.js';
import { buildOvsHost } from '../ovs/build-host.js';
import type { OvsHost } from '../ovs/ovs-host.js';
import { OvsSlowPath } from '../ovs/ovs-slow-path.js';
import type { FabricAttachment } from './fabric.js';
import { FallbackSlowPath } from './fallback-slow-path.js';
import { HostEngine, type HostOutput, type HostRuntime, type ModelOutcome, type RuntimeOptions } from './host-runtime.js';
import { traceText } from './packet-trace.js';

export class OvsRuntime implements HostRuntime {
  readonly kind = 'ovs';
  readonly noOutputReason = 'ovs_rule_no_output';
  readonly host: OvsHost;
  readonly slow: FallbackSlowPath;
  private readonly engines: HostEngine;

  /** `where`: the host's path in the topology (`hosts[1]`) for errors. */
  constructor(cfg: OvsHostConfig, where: string, o: RuntimeOptions) {
    this.host = buildOvsHost(cfg, where);
    this.slow = new FallbackSlowPath(new OvsSlowPath(this.host), o.modelOnly);
    this.engines = new HostEngine(this.slow, o);
  }

  get engine(): DatapathEngine {
    return this.engines.get();
  }

  close(): Promise<void> {
    return this.engines.close();
  }

  get name(): string {
    return this.host.name;
  }

  dpPort(port: string): number | undefined {
    const p = this.host.port(port);
    return p && p.dpPort >= 0 ? p.dpPort : undefined;
  }

  portName(dpPort: number): string {
    return this.host.portByDp(dpPort)?.name ?? `dp${dpPort}`;
  }

  fabricAttachments(): FabricAttachment[] {
    const u = this.host.underlay;
    const br = u ? this.host.bridges.get(u.bridge) : undefined;
    if (!u || !br) return [];
    return br.ports.filter((p) => p.cfg.type === 'system').map((p) => ({ host: this.name, port: p.name, ip: u.ip }));
  }

  modelReceive(port: string, _dpPort: number, frame: Uint8Array): ModelOutcome {
    const r = this.host.receive(port, frame);
    // A drop reason counts only when nothing was sent (the OVS model may name one for a branch that dropped).
    return { outputs: r.outputs.map((o) => ({ dpPort: o.port, frame: o.frame })), ...(r.outputs.length === 0 && r.xlate.dropReason ? { drop: r.xlate.dropReason } : {}) };
  }

  ofport(port: string): number | undefined {
    return this.host.port(port)?.ofport;
  }

  trace(port: string, frame: Uint8Array): string {
    return traceText(this.host, port, frame, { followTunnels: true });
  }

  takePacketOuts(): Map<number, HostOutput[]> {
    return new Map();
  }

  readonly settles = false;

  settle(): void {}

  counters(): undefined {
    return undefined;
  }
}
