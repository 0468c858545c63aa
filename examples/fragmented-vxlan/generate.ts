/**
 * Writes the capture of the fragmented-vxlan scenario (deterministic): what
 * compute2's NIC p0 receives from the VTEP 198.18.0.1 when that sender is a
 * Linux kernel VXLAN device with DF clear (`df unset`, the Linux default)
 * and a 1500-byte underlay: outer IPv4 packets longer than 1500 bytes leave
 * as RFC 791 fragments (data per fragment (1500 - 20) & ~7 = 1480 bytes, the
 * same outer ID, MF on all but the last; only the first carries the UDP and
 * VXLAN headers).
 *
 *   pcaps/p0.pcap  compute2:p0
 *
 * Run: node --import tsx examples/fragmented-vxlan/generate.ts
 * The frames, in timestamp order (1700000000 + milliseconds), inner vm1 (192.0.2.1) -> vm3 (192.0.2.3), VNI 100:
 *   .000 UDP 40000 > 9, 64 bytes of data: outer IP 142, not fragmented
 *   .001 UDP 40000 > 9, 1444 bytes of data (inner IP 1472, inner frame 1486): outer IP 1522
 *        -> fragments of outer IP length 1500 (offset 0, MF) and 42 (offset 1480)
 *   .002 TCP 41000 > 80 [PA] seq 1, 1400 bytes of data (inner IP 1440): outer IP 1490, fits, not fragmented
 *   .003-.004 TCP 41000 > 80 [PA] seq 1401, 1432 bytes (inner IP 1472): outer IP 1522, its two fragments
 *        arriving last fragment first (reassembly does not depend on order)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';

const C1 = { mac: '02:00:c6:12:00:01', ip: '198.18.0.1' };
const C2 = { mac: '02:00:c6:12:00:02', ip: '198.18.0.2' };
const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' };
const VM3 = { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3' };
const MTU = 1500;

const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff);
const inner = (l4: Header, id: number, data: number[]): Uint8Array =>
  buildFrame([{ eth: { src: VM1.mac, dst: VM3.mac } }, { ipv4: { src: VM1.ip, dst: VM3.ip, proto: 'tcp' in l4 ? 6 : 17, id, df: true, ttl: 64 } }, l4], data);

/** The Linux VTEP's outer packet: TTL 64, DF clear, UDP checksum 0, source port 49152 (pinned, as `srcport 49152 49153`). */
function vxlan(frame: Uint8Array, id: number): Uint8Array {
  return buildFrame(
    [{ eth: { src: C1.mac, dst: C2.mac } }, { ipv4: { src: C1.ip, dst: C2.ip, proto: 17, id, df: false, ttl: 64 } }, { udp: { sport: 49152, dport: 4789, csum: 'zero' } }, { vxlan: { vni: 100 } }],
    frame,
  );
}

/** RFC 791 fragments of an untagged Ethernet/IPv4 frame without options (as Linux ip_fragment cuts them). */
function fragment(frame: Uint8Array, mtu: number): Uint8Array[] {
  const data = frame.subarray(34);
  if (20 + data.length <= mtu) return [frame];
  const per = (mtu - 20) & ~7;
  const dv = new DataView(frame.buffer, frame.byteOffset);
  const id = dv.getUint16(18);
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += per) {
    const last = off + per >= data.length;
    out.push(
      buildFrame(
        [{ eth: { src: C1.mac, dst: C2.mac } }, { ipv4: { src: C1.ip, dst: C2.ip, proto: 17, id, df: false, ttl: 64, fragOffset: off, mf: !last } }],
        data.subarray(off, Math.min(off + per, data.length)),
      ),
    );
  }
  return out;
}

const small = vxlan(inner({ udp: { sport: 40000, dport: 9 } }, 0x1001, payload(64, 1)), 0x5001);
const bigUdp = fragment(vxlan(inner({ udp: { sport: 40000, dport: 9 } }, 0x1002, payload(1444, 2)), 0x5002), MTU);
const fits = vxlan(inner({ tcp: { sport: 41000, dport: 80, seq: 1, ack: 1, flags: TCP.PSH | TCP.ACK, window: 502 } }, 0x1003, payload(1400, 3)), 0x5003);
const bigTcp = fragment(vxlan(inner({ tcp: { sport: 41000, dport: 80, seq: 1401, ack: 1, flags: TCP.PSH | TCP.ACK, window: 502 } }, 0x1004, payload(1432, 4)), 0x5004), MTU);

/** [milliseconds, frame] as compute2:p0 receives them. */
export const FRAMES: [number, Uint8Array][] = [
  [0, small],
  [1, bigUdp[0]],
  [1.5, bigUdp[1]],
  [2, fits],
  [3, bigTcp[1]],
  [4, bigTcp[0]],
];

/** Writes pcaps/p0.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const w = await PcapWriter.create(join(dir, 'p0.pcap'));
  for (const [ms, frame] of FRAMES) await w.write(frame, 1700000000, Math.round(ms * 1e6));
  await w.close();
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
