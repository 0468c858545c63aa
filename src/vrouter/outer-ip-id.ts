/**
 * The outer IPv4 ID of the tunnel packets one vRouter sends, as vRouter
 * chooses it (dp-core/vr_nexthop.c, vr_proto_ip.c):
 *  - MPLSoUDP and VXLAN (nh_udp_tunnel_helper): `vr_generate_unique_ip_id()`,
 *    one counter per vRouter, pre-incremented, skipping 0 (1, 2, ... 65535, 1);
 *  - MPLSoGRE (nh_gre_tunnel): the inner IPv4 ID when the packet is IPv4,
 *    else the same global counter.
 *
 * The tunnel templates (src/vrouter/tunnel-spec.ts) already copy the inner
 * IPv4 ID for MPLSoGRE; `stamp()` writes the counter into every other tunnel
 * packet sent from a VM's interface, in the order the packets leave, and
 * fixes the outer header checksum. The per-packet model (Vrouter.input) and
 * the datapath runtime of a replay call it on the same outputs in the same
 * order, so both give vRouter's IDs. Does not touch frames that are not
 * IPv4 tunnel packets, nor packets from the fabric or vhost0.
 */
import type { VrouterTables } from './tables.js';

export class OuterIpIds {
  private last = 0;

  constructor(
    /** UDP destination ports of MPLSoUDP and VXLAN on this vRouter. */
    private readonly udpPorts: readonly number[] = [6635, 4789],
  ) {}

  /** The next ID: pre-incremented, never 0. */
  next(): number {
    this.last = (this.last + 1) & 0xffff;
    if (this.last === 0) this.last = 1;
    return this.last;
  }

  /**
   * Writes the counter into the outputs of one input frame that are tunnel
   * packets needing it (see the file comment). `inVif` is the vif the frame
   * entered on; `inFrame` is that frame (its ethertype says whether MPLSoGRE
   * copied an inner IPv4 ID).
   */
  stamp(tables: VrouterTables, inVif: number, inFrame: Uint8Array, outputs: readonly { vif: number; frame: Uint8Array }[]): void {
    if (tables.vifs.get(inVif)?.type !== 'virtual') return;
    const innerIpv4 = inFrame.length >= 14 && inFrame[12] === 0x08 && inFrame[13] === 0x00;
    for (const o of outputs) {
      if (tables.vifs.get(o.vif)?.type !== 'physical') continue;
      const f = o.frame;
      if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00 || f[14] >> 4 !== 4) continue;
      const ihl = (f[14] & 0x0f) * 4;
      if (ihl < 20 || f.length < 14 + ihl + 4) continue;
      const proto = f[23];
      const udpTunnel = proto === 17 && this.udpPorts.includes((f[14 + ihl + 2] << 8) | f[14 + ihl + 3]);
      if (!udpTunnel && !(proto === 47 && !innerIpv4)) continue;
      const id = this.next();
      f[18] = id >> 8;
      f[19] = id & 0xff;
      writeIpv4HeaderChecksum(f, 14, ihl);
    }
  }
}

/** Recomputes the IPv4 header checksum of the header at `l3` (RFC 1071). */
function writeIpv4HeaderChecksum(f: Uint8Array, l3: number, ihl: number): void {
  f[l3 + 10] = 0;
  f[l3 + 11] = 0;
  let sum = 0;
  for (let k = 0; k < ihl; k += 2) sum += (f[l3 + k] << 8) | f[l3 + k + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[l3 + 10] = c >> 8;
  f[l3 + 11] = c & 0xff;
}
