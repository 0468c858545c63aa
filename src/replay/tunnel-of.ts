/**
 * What tunnel an underlay frame is, for the report's `tunnels[]`: VXLAN (UDP
 * 4789, the VNI), MPLSoUDP (UDP 6635, RFC 7510: the top label), MPLSoGRE (IP
 * protocol 47, GRE protocol 0x8847, RFC 4023: the top label, after the GRE
 * checksum and key words when their flags are set), else `other`. Untagged
 * Ethernet / IPv4 outer headers only; reads within the frame's bounds.
 */
import type { TunnelUse } from './replay-report.js';

export function tunnelOf(f: Uint8Array): Pick<TunnelUse, 'type' | 'vni' | 'label'> {
  if (f.length < 14 + 20 || f[12] !== 0x08 || f[13] !== 0x00 || f[14] >> 4 !== 4) return { type: 'other' };
  const l4 = 14 + (f[14] & 0x0f) * 4;
  const proto = f[23];
  const label = (o: number): number | undefined => (f.length >= o + 4 ? (f[o] << 12) | (f[o + 1] << 4) | (f[o + 2] >> 4) : undefined);
  if (proto === 17 && f.length >= l4 + 8) {
    const dport = (f[l4 + 2] << 8) | f[l4 + 3];
    if (dport === 4789 && f.length >= l4 + 16) return { type: 'vxlan', vni: (f[l4 + 12] << 16) | (f[l4 + 13] << 8) | f[l4 + 14] };
    const l = dport === 6635 ? label(l4 + 8) : undefined;
    if (l !== undefined) return { type: 'mplsoudp', label: l };
  }
  if (proto === 47 && f.length >= l4 + 4 && ((f[l4 + 2] << 8) | f[l4 + 3]) === 0x8847) {
    const flags = f[l4];
    const off = l4 + 4 + (flags & 0x80 ? 4 : 0) + (flags & 0x20 ? 4 : 0);
    const l = label(off);
    if (l !== undefined) return { type: 'mplsogre', label: l };
  }
  return { type: 'other' };
}
