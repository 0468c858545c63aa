/**
 * The packet given to `trace`: an ofproto/trace-style flow string
 * ("in_port=1,tcp,dl_src=...,nw_dst=..."), hex bytes of a frame
 * ("ffffffffffff02..." or "0x..."), or `FILE.pcap#N` (1-based frame number,
 * as tshark counts).
 */
import { openCapture } from '../pcap/index.js';

export type PacketSpec = { kind: 'flow'; text: string } | { kind: 'frame'; bytes: Uint8Array; source: string };

export async function resolvePacketSpec(spec: string): Promise<PacketSpec> {
  const s = spec.trim();
  const hexText = s.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (/^[0-9a-f]+$/i.test(hexText) && hexText.length >= 28 && hexText.length % 2 === 0) {
    return { kind: 'frame', bytes: Uint8Array.from(Buffer.from(hexText, 'hex')), source: 'hex' };
  }
  const m = /^(.*)#(\d+)$/.exec(s);
  if (m) {
    const n = Number(m[2]);
    if (n < 1) throw new RangeError(`frame numbers start at 1, received #${n}`);
    const reader = await openCapture(m[1]);
    let i = 0;
    for await (const rec of reader.records()) {
      if (++i === n) {
        await reader.close();
        return { kind: 'frame', bytes: rec.data.slice(), source: `${m[1]}#${n}` };
      }
    }
    throw new RangeError(`${m[1]} has only ${i} frame(s), no frame #${n}`);
  }
  return { kind: 'flow', text: s };
}
