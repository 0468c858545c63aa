/**
 * One modelled host as `replay()` drives it, whatever its kind: port names
 * and datapath ports, the datapath engine with the host's slow path (wrapped
 * in a FallbackSlowPath), its fabric attachments, the model's own per-packet
 * path for what the engine cannot express, and the hook that sees every
 * packet's outcome (counters, outer IPv4 IDs). Implementations:
 * src/replay/ovs-runtime.ts, src/replay/vrouter-runtime.ts.
 */
import { DatapathEngine } from '../datapath/engine.js';
import type { FabricAttachment } from './fabric.js';
import type { FallbackSlowPath } from './fallback-slow-path.js';

/** A frame a host sends, by datapath port. */
export interface HostOutput {
  dpPort: number;
  frame: Uint8Array;
  /** Length on the wire when more than the frame's bytes (a packet captured short); default its length. */
  wireLength?: number;
}

/** What the model's per-packet path did with one frame. */
export interface ModelOutcome {
  outputs: HostOutput[];
  /**
   * A drop the model counts for this frame, counted in the report even when
   * something was sent (vRouter: a DF packet too big for the tunnel, answered
   * with an ICMP error). Undefined with no output: the runtime's noOutputReason.
   */
  drop?: string;
}

/** How replay() runs the hosts' engines. */
export interface RuntimeOptions {
  pmds: number;
  cache: boolean;
  modelOnly: boolean;
  /** PMDs on the calling thread; read when a host's engine starts (its first use), as is `pipeline`. */
  inProcess: boolean;
  /** The engine's batches in flight (EngineOptions.pipeline). */
  pipeline: number;
}

/**
 * A host's datapath engine, started on first use: replay() decides where
 * PMDs run (worker threads or the calling thread) once it knows the
 * topology's shape, after the hosts are built.
 */
export class HostEngine {
  private started: DatapathEngine | undefined;

  constructor(
    private readonly slow: FallbackSlowPath,
    private readonly o: RuntimeOptions,
  ) {}

  get(): DatapathEngine {
    const o = this.o;
    return (this.started ??= DatapathEngine.create({ slowPath: this.slow, pmds: o.pmds, cache: o.cache, pipeline: o.pipeline, ...(o.inProcess ? { inProcess: true } : {}) }));
  }

  /** Stops the engine's PMDs, if it started. */
  async close(): Promise<void> {
    await this.started?.close();
  }
}

export interface HostRuntime {
  readonly name: string;
  readonly kind: 'ovs' | 'vrouter';
  /** The host's engine (started on first use). */
  readonly engine: DatapathEngine;
  /** Stops the engine, if it started. */
  close(): Promise<void>;
  readonly slow: FallbackSlowPath;
  /** Datapath port of a port name (undefined: no such port, or none in the datapath). */
  dpPort(port: string): number | undefined;
  /** Name of a datapath port (`dp<N>` when unknown). */
  portName(dpPort: number): string;
  /** The host's ports on the underlay switch, with its underlay address. */
  fabricAttachments(): FabricAttachment[];
  /** Drop reason of a packet that left by no port and has no reason of its own. */
  readonly noOutputReason: string;
  /** The model's own per-packet path (throws when it cannot handle the frame). */
  modelReceive(port: string, dpPort: number, frame: Uint8Array): ModelOutcome;
  /** Frames the slow path sent itself during the last engine.process() (packet-outs), by engine position. */
  takePacketOuts(): Map<number, HostOutput[]>;
  /** False when settle() does nothing for packets the engine handled (the replay then skips it). */
  readonly settles: boolean;
  /**
   * Sees the outcome of every packet the host processed, in input order,
   * before its outputs are written: may rewrite output frames in place
   * (vRouter: outer IPv4 IDs) and count (vRouter: vif, drop and flow
   * counters). `viaModel`: the model's per-packet path handled it.
   */
  settle(dpPort: number, frame: Uint8Array, outputs: readonly HostOutput[], drop: string | undefined, viaModel: boolean): void;
  /** OpenFlow port number of a port (a `--trace` filter's in_port), if the host kind has them. */
  ofport(port: string): number | undefined;
  /**
   * The trace of `frame` entering `port` as the host is now, without side
   * effects (OVS: ofproto/trace's text, following a tunnel pop into the inner
   * packet; vRouter: the forwarding decisions `vswitch-sim vrouter` prints).
   */
  trace(port: string, frame: Uint8Array): string;
  /** The host's own counters for the report (vRouter: vif --list, dropstats, flow -l), if it keeps any. */
  counters(): unknown;
}
