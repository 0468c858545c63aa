/**
 * The per-packet trace of `replay --trace` at one OVS host: the text
 * `vswitch-sim trace HOST:PORT --packet FILE.pcap#N` prints for the same
 * frame (src/ovs/trace-format.ts, ofproto/trace layout), computed on the
 * host's model as it is at that moment of the replay (MAC learning and
 * learn() so far), without side effects (a trace never learns, as
 * ofproto/trace).
 *
 * The replay calls it for every selected packet at each host the packet
 * crosses: the input port where it was captured, then, for every frame the
 * underlay carries on, the receiving host's underlay NIC.
 */
import type { OvsHost } from '../ovs/ovs-host.js';
import { extractFlow } from '../ovs/flow.js';
import { traceJson, traceText as formatTrace, type TraceJson } from '../ovs/trace-format.js';
import type { XlateResult } from '../ovs/xlate.js';

export interface PacketTraceOptions {
  /**
   * Follow a tunnel pop into the inner packet (the translation after OVS's
   * recirculation, in the same trace). Default false: the trace stops at
   * `tnl_pop`, exactly as `vswitch-sim trace` (and ofproto/trace) print it.
   */
  followTunnels?: boolean;
}

function translate(host: OvsHost, port: string, frame: Uint8Array, opts: PacketTraceOptions): XlateResult {
  const p = host.port(port);
  if (!p) throw new RangeError(`host ${host.name} has no port "${port}"`);
  return host.translate(p, extractFlow(frame, p.ofport), false, opts.followTunnels ? frame : undefined);
}

/** The ofproto/trace-style text of `frame` entering `port` of `host`. */
export function traceText(host: OvsHost, port: string, frame: Uint8Array, opts: PacketTraceOptions = {}): string {
  return formatTrace(translate(host, port, frame, opts));
}

/** The same trace as JSON (what `vswitch-sim trace --json` prints). */
export function traceJsonOf(host: OvsHost, port: string, frame: Uint8Array, opts: PacketTraceOptions = {}): TraceJson {
  return traceJson(translate(host, port, frame, opts));
}
