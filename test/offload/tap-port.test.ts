/**
 * Reading plain tap captures by the port's offload settings. The reference is
 * the Linux oracle: each example's in.pcap is the frame a test wrote into a
 * real tap after the virtio_net_hdr recorded in its in.json, so inferring the
 * header from in.pcap and the port's settings must give in.json's header.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { TCP, buildFrame } from '../../src/packet/frame-builder.js';
import { GsoType, VIRTIO_NEEDS_CSUM, decodeVirtioNetHdr } from '../../src/offload/virtio-net-hdr.js';
import { tapFrameOffloads, type TapPortOffloads } from '../../src/offload/tap-port.js';
import { openCapture } from '../../src/pcap/index.js';

const examples = join(packageRoot(), '..', 'shared', 'oracles', 'linux', 'examples');

interface OracleMeta {
  args: { mode: string; proto: string; needs_csum: number; gso_size: number; meta: string };
  virtio_net_hdr: { hex: string };
}

function inputs(): { name: string; pcap: string; meta: OracleMeta }[] {
  if (!existsSync(examples)) throw new Error(`the Linux oracle examples are missing: expected them at ${examples}`);
  const out: { name: string; pcap: string; meta: OracleMeta }[] = [];
  for (const dir of readdirSync(examples).sort()) {
    const d = join(examples, dir);
    if (!statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d).filter((x) => /^in.*\.json$/.test(x)).sort()) {
      const meta = JSON.parse(readFileSync(join(d, f), 'utf8')) as OracleMeta;
      const pcap = join(d, f.replace(/\.json$/, '.pcap'));
      if (meta.args?.mode === 'tap' && meta.virtio_net_hdr && existsSync(pcap)) out.push({ name: `${dir}/${f}`, pcap, meta });
    }
  }
  return out;
}

async function firstFrame(file: string): Promise<Uint8Array> {
  const reader = await openCapture(file);
  for await (const r of reader.records()) {
    const data = r.data.slice();
    await reader.close();
    return data;
  }
  throw new Error(`${file} holds no packet`);
}

describe('tap port offloads read a plain capture as the guest wrote it', () => {
  const cases = inputs();
  it('has oracle inputs', () => expect(cases.length).toBeGreaterThan(10));
  for (const c of cases) {
    it(c.name, async () => {
      const a = c.meta.args;
      // The port the oracle's tap had: checksum offload, TSO or USO, and the gso_size it used.
      const port: TapPortOffloads = {
        csum: a.needs_csum === 1,
        tso: a.proto === 'tcp' && a.gso_size > 0,
        uso: a.proto === 'udp' && a.gso_size > 0,
        ...(a.gso_size > 0 ? { gsoSize: a.gso_size } : {}),
      };
      const expected = decodeVirtioNetHdr(Buffer.from(c.meta.virtio_net_hdr.hex, 'hex'));
      expect(tapFrameOffloads(await firstFrame(c.pcap), port)).toEqual(expected);
    });
  }
});

describe('tap port offload settings', () => {
  const eth = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } };
  const ip = { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' } };

  it('takes gso_size from the TCP MSS option when the port sets none, and flags ECN with CWR', () => {
    // A 3000-byte payload with MSS option 1200 and CWR, partial checksum: headers 14 + 20 + 24.
    const frame = buildFrame([eth, ip, { tcp: { sport: 1, dport: 2, flags: TCP.ACK | TCP.CWR, options: [2, 4, 0x04, 0xb0], csum: 'partial' } }], new Uint8Array(3000));
    expect(tapFrameOffloads(frame, { csum: true, tso: true })).toEqual({
      flags: VIRTIO_NEEDS_CSUM,
      gsoType: GsoType.tcpv4 | GsoType.ecn,
      hdrLen: 14 + 20 + 24,
      gsoSize: 1200,
      csumStart: 34,
      csumOffset: 16,
    });
  });

  it('falls back to MTU minus headers, and leaves complete checksums and small frames alone', () => {
    const big = buildFrame([eth, ip, { tcp: { sport: 1, dport: 2, csum: 'partial' } }], new Uint8Array(4000));
    expect(tapFrameOffloads(big, { csum: true, tso: true, mtu: 9000 }).gsoType).toBe(0); // fits a 9000 MTU
    expect(tapFrameOffloads(big, { csum: true, tso: true, mtu: 1500 })).toMatchObject({ gsoType: GsoType.tcpv4, gsoSize: 1460 });
    const complete = buildFrame([eth, ip, { udp: { sport: 1, dport: 2 } }], new Uint8Array(100));
    expect(tapFrameOffloads(complete, { csum: true })).toEqual({ flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 });
    // Without checksum offload a pseudo-header sum is just a wrong checksum.
    expect(tapFrameOffloads(big, { csum: false }).flags).toBe(0);
  });

  it('UFO super-packets are gso_type UDP; bad settings are refused with clear errors', () => {
    const dgram = buildFrame([eth, ip, { udp: { sport: 1, dport: 2, csum: 'partial' } }], new Uint8Array(5000));
    expect(tapFrameOffloads(dgram, { csum: true, ufo: true })).toMatchObject({ gsoType: GsoType.udp, gsoSize: 1472, hdrLen: 42 });
    expect(() => tapFrameOffloads(dgram, { csum: false, tso: true })).toThrow(/need checksum offload/);
    expect(() => tapFrameOffloads(dgram, { csum: true, uso: true, ufo: true })).toThrow(/exclusive/);
    expect(() => tapFrameOffloads(dgram, { csum: true, mtu: 0 })).toThrow(/port\.mtu/);
  });
});
