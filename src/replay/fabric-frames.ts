/**
 * Small reads and edits of Ethernet frames on the fabric: the 802.1Q tag
 * (push, strip, read) and where the IPv4/IPv6 header starts. No checksums are
 * touched (an 802.1Q tag is outside every checksum).
 */

const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** The outermost 802.1Q VLAN id of a frame, or undefined when untagged. */
export function outerVlan(frame: Uint8Array): number | undefined {
  if (frame.length < 18 || rd16(frame, 12) !== 0x8100) return undefined;
  return rd16(frame, 14) & 0xfff;
}

/** A copy of the frame with an 802.1Q tag (TPID 0x8100, PCP 0) pushed after the MAC addresses. */
export function pushVlan(frame: Uint8Array, vid: number): Uint8Array {
  if (frame.length < 14) return frame;
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out[12] = 0x81;
  out[13] = 0x00;
  out[14] = (vid >> 8) & 0x0f;
  out[15] = vid & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}

/** A copy of the frame without its outermost 802.1Q tag (the frame itself when untagged). */
export function stripVlan(frame: Uint8Array): Uint8Array {
  if (outerVlan(frame) === undefined) return frame;
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return out;
}

export interface IpView {
  /** Offset of the IP header. */
  l3: number;
  version: 4 | 6;
  /** IP length as the header says (IPv4 total length, IPv6 40 + payload length). */
  ipLength: number;
  /** IPv4 DF bit (IPv6: true, routers never fragment it). */
  df: boolean;
}

/** The IP header of an Ethernet frame, through up to two VLAN tags, or undefined (ARP, truncated, ...). */
export function ipView(frame: Uint8Array): IpView | undefined {
  let off = 12;
  if (frame.length < off + 2) return undefined;
  let type = rd16(frame, off);
  for (let k = 0; k < 2 && (type === 0x8100 || type === 0x88a8); k++) {
    off += 4;
    if (frame.length < off + 2) return undefined;
    type = rd16(frame, off);
  }
  const l3 = off + 2;
  if (type === 0x0800 && frame.length >= l3 + 20) return { l3, version: 4, ipLength: rd16(frame, l3 + 2), df: (frame[l3 + 6] & 0x40) !== 0 };
  if (type === 0x86dd && frame.length >= l3 + 40) return { l3, version: 6, ipLength: 40 + rd16(frame, l3 + 4), df: true };
  return undefined;
}
