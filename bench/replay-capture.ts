/**
 * The traffic of bench/replay.ts, deterministic: vm1 of the neutron-vxlan
 * scenario's compute1 (fa:16:3e:00:00:01, 192.0.2.1) sending Ethernet/IPv4/UDP
 * to vm3 behind compute2 (fa:16:3e:00:00:03, 192.0.2.3, VNI 100), cycling
 * through `flows` UDP source ports (10000 + k) so the outer VXLAN source port
 * varies; and one VXLAN frame from compute2's VTEP that teaches br-int where
 * vm3 is (NORMAL learns it from the decapsulated frame, as it does on a real
 * host before any reply), so the bench traffic is unicast, not flooded.
 *
 * Classic microsecond pcap (magic a1b2c3d4), readable by libpcap (DPDK's
 * net_pcap) as well as by the simulator. Frame i has timestamp
 * T0 + i microseconds; the learning frame T0 - 1 s.
 */
import { open } from 'node:fs/promises';

import { buildFrame } from '../src/packet/frame-builder.js';

/** First timestamp (seconds) of the bench traffic. */
export const T0 = 1_700_000_000;

export const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' } as const;
export const VM3 = { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3' } as const;
export const VTEP1 = { mac: '02:00:c6:12:00:01', ip: '198.18.0.1' } as const;
export const VTEP2 = { mac: '02:00:c6:12:00:02', ip: '198.18.0.2' } as const;
export const VNI = 100;

/** Frame k of the flow set: `size` bytes (no FCS), UDP 10000+k -> 5001, checksums correct. */
export function benchFrame(k: number, size: number): Uint8Array {
  const payload = new Uint8Array(Math.max(0, size - 42));
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  return buildFrame(
    [
      { eth: { src: VM1.mac, dst: VM3.mac } },
      { ipv4: { src: VM1.ip, dst: VM3.ip, proto: 17, ttl: 64, df: true } },
      { udp: { sport: 10000 + k, dport: 5001 } },
    ],
    payload,
  );
}

/** The VXLAN frame compute2 would send to vm1 (outer UDP checksum 0, DF), which teaches compute1 that vm3 is behind the tunnel. */
export function learningFrame(): Uint8Array {
  return buildFrame([
    { eth: { src: VTEP2.mac, dst: VTEP1.mac } },
    { ipv4: { src: VTEP2.ip, dst: VTEP1.ip, proto: 17, ttl: 64, df: true } },
    { udp: { sport: 54321, dport: 4789, csum: 'zero' } },
    { vxlan: { vni: VNI } },
    { eth: { src: VM3.mac, dst: VM1.mac } },
    { ipv4: { src: VM3.ip, dst: VM1.ip, proto: 17, ttl: 64 } },
    { udp: { sport: 5001, dport: 10000 } },
  ]);
}

/** Writes `count` frames as a classic microsecond pcap; `tsOf(i)` gives frame i's [seconds, microseconds]. */
async function writePcap(path: string, count: number, frameAt: (i: number) => Uint8Array, tsOf: (i: number) => [number, number]): Promise<number> {
  const fh = await open(path, 'w');
  const chunk = 1 << 20;
  let buf = Buffer.allocUnsafe(chunk);
  let used = 0;
  let bytes = 0;
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  await fh.write(hdr);
  bytes += 24;
  try {
    for (let i = 0; i < count; i++) {
      const f = frameAt(i);
      if (used + 16 + f.length > buf.length) {
        await fh.write(buf, 0, used);
        buf = Buffer.allocUnsafe(Math.max(chunk, 16 + f.length));
        used = 0;
      }
      const [sec, usec] = tsOf(i);
      buf.writeUInt32LE(sec, used);
      buf.writeUInt32LE(usec, used + 4);
      buf.writeUInt32LE(f.length, used + 8);
      buf.writeUInt32LE(f.length, used + 12);
      buf.set(f, used + 16);
      used += 16 + f.length;
      bytes += 16 + f.length;
    }
    if (used > 0) await fh.write(buf, 0, used);
  } finally {
    await fh.close();
  }
  return bytes;
}

/**
 * Writes the bench capture: `count` frames of `size` bytes over `flows`
 * flows (frame i is flow i % flows). Resolves to the file size.
 */
export async function writeBenchCapture(path: string, count: number, size: number, flows = 1024): Promise<number> {
  if (!Number.isInteger(size) || size < 60 || size > 1514) throw new RangeError(`expected a frame size in [60, 1514], received ${size}`);
  const templates = Array.from({ length: flows }, (_, k) => benchFrame(k, size));
  return writePcap(path, count, (i) => templates[i % flows], (i) => [T0 + Math.floor(i / 1e6), i % 1e6]);
}

/** Writes the one-frame learning capture (timestamp T0 - 1 s, before every bench frame). */
export async function writeLearningCapture(path: string): Promise<number> {
  const f = learningFrame();
  return writePcap(path, 1, () => f, () => [T0 - 1, 0]);
}
