/**
 * A minimal receiving host for the offload pipeline's wire frames (until the
 * replay job models whole hosts): reassembly of outer IPv4 and IPv6
 * fragments (timeouts 30 s / 60 s, see Reassembler), the
 * tunnel receiver (src/tunnel decap: VXLAN / MPLSoUDP / MPLSoGRE, zero UDP
 * checksum over IPv6 per RFC 6935, ...), then the host's TCP/UDP checksum
 * check. Every drop is named; a frame a NIC fault corrupted shows up here as
 * `bad_l4_checksum`, and the sender's PipelineResult.faults names the fault.
 */
import { PacketBatch } from '../datapath/batch.js';
import { createParser } from '../packet/parse.js';
import { decapBatch, type DecapTables } from '../tunnel/index.js';
import { checkReceivedChecksums, dropName, Reassembler, type ReassemblyLimits } from './ops.js';

export interface HostReceiveConfig {
  /** Tunnels this host terminates; without it frames are delivered as they are. */
  decap?: DecapTables;
  reassembly?: ReassemblyLimits;
  /**
   * Arrival time of each frame in nanoseconds (default: frame index in
   * microseconds). Datagrams that time out before a later frame arrives are
   * dropped then (`reasm_timeout`), so a late fragment starts a new datagram.
   */
  timestampsNs?: number[];
}

export interface HostReceiveResult {
  /** Frames handed to the host's stack (decapsulated when a tunnel was terminated). */
  delivered: Uint8Array[];
  /** For each delivered frame, the index of the wire frame that completed it. */
  from: number[];
  /** Dropped wire frames with the stable reason name. */
  drops: { input: number; reason: string }[];
}

function batchOf(frames: Uint8Array[]): PacketBatch {
  const bytes = frames.reduce((n, f) => n + f.length + 256, 0);
  return PacketBatch.create({ capacity: Math.max(1, frames.length), dataSize: bytes + 4096, headroom: 192 });
}

/** Receives wire frames in order (timestamps: cfg.timestampsNs, or frame index in microseconds). */
export function receiveAtHost(frames: Uint8Array[], cfg: HostReceiveConfig = {}): HostReceiveResult {
  const ts = cfg.timestampsNs;
  if (ts !== undefined && (ts.length !== frames.length || ts.some((t, k) => !(t >= 0) || (k > 0 && t < ts[k - 1]))))
    throw new RangeError(`expected ${frames.length} non-decreasing non-negative numbers for cfg.timestampsNs, received ${String(ts)}`);
  const parser = createParser();
  const res: HostReceiveResult = { delivered: [], from: [], drops: [] };
  const inb = batchOf(frames);
  for (const f of frames) if (!inb.append(f)) throw new RangeError('receiveAtHost: batch too small');
  parser.parse(inb, 1);
  // 1. Reassembly of outer fragments.
  const whole = batchOf(frames);
  const origin: number[] = [];
  const ra = new Reassembler(cfg.reassembly);
  for (let i = 0; i < inb.count; i++) {
    if (inb.drop[i] !== 0) {
      res.drops.push({ input: i, reason: dropName(inb.drop[i]) });
      continue;
    }
    const now = ts ? ts[i] : i * 1000;
    for (const e of ra.expire(now)) if (e.fragments) res.drops.push({ input: -1, reason: 'reasm_timeout' });
    const r = ra.feed(inb, i, now, whole);
    if (r.drop !== 'none') res.drops.push({ input: i, reason: r.drop });
    if (r.emitted) origin.push(i);
  }
  for (const e of ra.expire(Number.MAX_SAFE_INTEGER)) if (e.fragments) res.drops.push({ input: -1, reason: 'reasm_timeout' });
  parser.parse(whole, 1);
  // 2. The tunnel receiver, then the host's stack.
  const alive = origin.map((_, i) => whole.drop[i] === 0);
  const record = (i: number): void => {
    if (alive[i] && whole.drop[i] !== 0) {
      res.drops.push({ input: origin[i], reason: dropName(whole.drop[i]) });
      alive[i] = false;
    }
  };
  origin.forEach((o, i) => {
    if (!alive[i]) res.drops.push({ input: o, reason: dropName(whole.drop[i]) });
  });
  if (cfg.decap) {
    decapBatch(whole, cfg.decap);
    origin.forEach((_, i) => record(i));
    parser.parse(whole, 1);
    origin.forEach((_, i) => record(i));
    origin.forEach((_, i) => {
      if (!alive[i] && whole.drop[i] === 0) whole.drop[i] = 1;
    });
  }
  checkReceivedChecksums(whole);
  origin.forEach((o, i) => {
    record(i);
    if (!alive[i]) return;
    res.delivered.push(Uint8Array.from(whole.packet(i)));
    res.from.push(o);
  });
  return res;
}
