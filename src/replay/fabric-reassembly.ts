/**
 * Outer-fragment reassembly at a receiving host whose stack does it (Linux
 * ip_defrag before the tunnel socket sees the datagram): one native
 * Reassembler per host (timeouts 30 s IPv4 / 60 s IPv6, overlap drops the
 * datagram, limits; docs/offload.md). Non-fragments pass at once.
 */
import { PacketBatch } from '../datapath/batch.js';
import { Reassembler } from '../offload/ops.js';
import { createParser, type Parser } from '../packet/parse.js';
import { ipView } from './fabric-frames.js';

export interface ReassemblyStep {
  /** Frames for the host: the frame itself, or a datagram it completed. */
  frames: Uint8Array[];
  /** Drop-reason names (reassembly reasons, `reasm_timeout` for datagrams that expired). */
  drops: string[];
  /** True when the frame was a fragment that completed its datagram. */
  completed: boolean;
}

/** IPv4 MF or fragment offset set, or an IPv6 fragment header right after the fixed header. */
export function isIpFragment(frame: Uint8Array): boolean {
  const ip = ipView(frame);
  if (!ip) return false;
  if (ip.version === 4) return (((frame[ip.l3 + 6] << 8) | frame[ip.l3 + 7]) & 0x3fff) !== 0;
  return frame[ip.l3 + 6] === 44;
}

export class HostReassembly {
  private readonly tables = new Map<string, Reassembler>();
  private readonly parser: Parser = createParser();

  /** Feeds one untagged frame arriving at `host` at `nowNs`. */
  feed(host: string, frame: Uint8Array, nowNs: number): ReassemblyStep {
    let ra = this.tables.get(host);
    if (!ra) this.tables.set(host, (ra = new Reassembler()));
    const step: ReassemblyStep = { frames: [], drops: [], completed: false };
    for (const e of ra.expire(nowNs)) if (e.fragments) step.drops.push('reasm_timeout');
    if (!isIpFragment(frame)) {
      step.frames.push(frame);
      return step;
    }
    const inb = PacketBatch.create({ capacity: 1, dataSize: frame.length + 4096, headroom: 64 });
    inb.append(frame);
    this.parser.parse(inb, 1);
    const out = PacketBatch.create({ capacity: 2, dataSize: 65536 + 8192, headroom: 64 });
    const r = ra.feed(inb, 0, nowNs, out);
    if (r.drop !== 'none') step.drops.push(r.drop);
    for (let i = 0; i < out.count; i++) if (out.drop[i] === 0) step.frames.push(Uint8Array.from(out.packet(i)));
    step.completed = r.emitted;
    return step;
  }

  /** Fragments held at `host`, waiting for the rest of their datagrams. */
  held(host: string): number {
    return this.tables.get(host)?.datagrams ?? 0;
  }
}
