/**
 * virtio_net_hdr (legacy 10-byte layout, little-endian): the per-packet
 * offload metadata a tap with IFF_VNET_HDR carries (native/virtio_net_hdr.h).
 */

export const VIRTIO_NET_HDR_SIZE = 10;
export const VIRTIO_NEEDS_CSUM = 1;
export const VIRTIO_DATA_VALID = 2;

/** gso_type values (VIRTIO_NET_HDR_GSO_*); ECN is a flag bit on top. */
export const GsoType = { none: 0, tcpv4: 1, udp: 3, tcpv6: 4, udpL4: 5, ecn: 0x80 } as const;

export interface VirtioNetHdr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

/** Decodes the 10 wire bytes. */
export function decodeVirtioNetHdr(b: Uint8Array): VirtioNetHdr {
  if (b.length < VIRTIO_NET_HDR_SIZE) throw new RangeError(`expected 10 bytes of virtio_net_hdr, received ${b.length}`);
  const le = (o: number): number => b[o] | (b[o + 1] << 8);
  return { flags: b[0], gsoType: b[1], hdrLen: le(2), gsoSize: le(4), csumStart: le(6), csumOffset: le(8) };
}

/** Encodes the header as its 10 wire bytes. */
export function encodeVirtioNetHdr(h: VirtioNetHdr): Uint8Array {
  const b = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  const put = (o: number, v: number, name: string): void => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`expected an integer in [0, 65535] for ${name}, received ${v}`);
    b[o] = v & 0xff;
    b[o + 1] = v >> 8;
  };
  for (const [name, v] of [['flags', h.flags], ['gsoType', h.gsoType]] as const)
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`expected an integer in [0, 255] for ${name}, received ${v}`);
  b[0] = h.flags;
  b[1] = h.gsoType;
  put(2, h.hdrLen, 'hdrLen');
  put(4, h.gsoSize, 'gsoSize');
  put(6, h.csumStart, 'csumStart');
  put(8, h.csumOffset, 'csumOffset');
  return b;
}
