/**
 * Reading a plain capture taken on a VM's tap port: the port's guest offload
 * settings decide what each frame means, as the virtio_net_hdr the guest
 * wrote with it would have said.
 *
 * - Checksum offload on: a TCP/UDP checksum field that holds the folded
 *   pseudo-header sum (the parser's FLAG_L4_CSUM_PARTIAL) is a partial
 *   checksum: NEEDS_CSUM with csum_start at the L4 header and csum_offset
 *   16 (TCP) or 6 (UDP).
 * - TSO (TCP) or USO / UFO (UDP) on: a frame whose IP packet is larger than
 *   the port MTU is a GSO super-packet. gso_size is the port's, else the
 *   frame's own TCP MSS option, else MTU minus the IP and L4 headers;
 *   hdr_len covers the headers up to the L4 payload (Linux's convention);
 *   ECN is flagged when the super-packet carries CWR (SKB_GSO_TCP_ECN).
 * - Settings off, or a frame that needs none of this: the header is zero.
 *
 * What it does not do: frames with IP options or extension headers are read
 * the same way (offsets come from the parser); a frame larger than the MTU on
 * a port without the matching offload is left as is (the MTU check drops it).
 */
import { PacketBatch } from '../datapath/batch.js';
import { ABSENT, PacketFlag } from '../datapath/batch-layout.js';
import { createParser } from '../packet/parse.js';
import { GsoType, VIRTIO_NEEDS_CSUM, type VirtioNetHdr } from './virtio-net-hdr.js';

export interface TapPortOffloads {
  /** Guest checksum offload (the tap was set up with TUN_F_CSUM). */
  csum: boolean;
  /** TCP segmentation offload (TUN_F_TSO4 / TSO6). */
  tso?: boolean;
  /** UDP segmentation offload (TUN_F_USO4/6): each segment its own datagram. */
  uso?: boolean;
  /** Legacy UDP fragmentation offload (TUN_F_UFO): IPv4 fragments of one datagram. */
  ufo?: boolean;
  /** The port's IP MTU (default 1500). */
  mtu?: number;
  /** gso_size for super-packets (default: the TCP MSS option, else MTU minus headers). */
  gsoSize?: number;
}

const NO_OFFLOAD: VirtioNetHdr = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };

function checkSettings(port: TapPortOffloads): void {
  if (typeof port.csum !== 'boolean') throw new TypeError(`expected a boolean for port.csum, received ${typeof port.csum}`);
  for (const [name, v] of [['mtu', port.mtu], ['gsoSize', port.gsoSize]] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 0xffff)) throw new RangeError(`expected an integer in [1, 65535] for port.${name}, received ${v}`);
  if ((port.tso || port.uso || port.ufo) && !port.csum)
    throw new RangeError('segmentation offloads need checksum offload (a tap refuses TSO/USO/UFO without TUN_F_CSUM)');
  if (port.uso && port.ufo) throw new RangeError('port.uso and port.ufo are exclusive: a datagram is either segmented or fragmented');
}

/** The MSS option of a TCP header (kind 2, length 4), or undefined. */
function mssOption(b: Uint8Array, tcp: number, doff: number): number | undefined {
  for (let p = tcp + 20; p < tcp + doff && p < b.length; ) {
    const kind = b[p];
    if (kind === 0) return undefined;
    if (kind === 1) {
      p++;
      continue;
    }
    const len = b[p + 1];
    if (len === undefined || len < 2) return undefined;
    if (kind === 2 && len === 4 && p + 4 <= b.length) return (b[p + 2] << 8) | b[p + 3];
    p += len;
  }
  return undefined;
}

/**
 * The virtio_net_hdr each frame of a parsed batch carries on a tap with these
 * offloads; also written into the batch (GSO_TYPE, GSO_SIZE, CSUM_START,
 * CSUM_OFFSET columns and FLAG_NEEDS_CSUM) for the datapath.
 */
export function applyTapPortOffloads(batch: PacketBatch, port: TapPortOffloads): VirtioNetHdr[] {
  checkSettings(port);
  const mtu = port.mtu ?? 1500;
  const out: VirtioNetHdr[] = [];
  for (let i = 0; i < batch.count; i++) {
    const hdr = { ...NO_OFFLOAD };
    const flags = batch.flags[i];
    const l3 = batch.l3[i];
    const l4 = batch.l4[i];
    const b = batch.packet(i);
    if ((flags & PacketFlag.PARSED) && l3 !== ABSENT && l4 !== ABSENT && !(flags & PacketFlag.IP_FRAGMENT)) {
      const v6 = (b[l3] >> 4) === 6;
      const ipProto = v6 ? nextHeaderAt(b, l3, l4) : b[l3 + 9];
      const tcp = ipProto === 6;
      const udp = ipProto === 17;
      if (port.csum && (tcp || udp) && (flags & PacketFlag.L4_CSUM_PARTIAL)) {
        hdr.flags = VIRTIO_NEEDS_CSUM;
        hdr.csumStart = l4;
        hdr.csumOffset = tcp ? 16 : 6;
      }
      const ipLen = b.length - l3;
      const l4Hdr = tcp ? (b[l4 + 12] >> 4) * 4 : 8;
      const segmentable = (tcp && port.tso) || (udp && (port.uso || port.ufo));
      if (segmentable && ipLen > mtu && hdr.flags === VIRTIO_NEEDS_CSUM) {
        const headers = l4 - l3 + l4Hdr;
        const gsoSize = port.gsoSize ?? (tcp ? mssOption(b, l4, l4Hdr) : undefined) ?? mtu - headers;
        if (b.length - (l4 + l4Hdr) > gsoSize) {
          hdr.gsoType = tcp ? (v6 ? GsoType.tcpv6 : GsoType.tcpv4) : port.uso ? GsoType.udpL4 : GsoType.udp;
          if (tcp && (b[l4 + 13] & 0x80)) hdr.gsoType |= GsoType.ecn;
          hdr.gsoSize = gsoSize;
          hdr.hdrLen = l4 + l4Hdr;
        }
      }
    }
    batch.gsoType[i] = hdr.gsoType;
    batch.gsoSize[i] = hdr.gsoSize;
    batch.csumStart[i] = hdr.csumStart;
    batch.csumOffset[i] = hdr.csumOffset;
    batch.flags[i] = hdr.flags ? batch.flags[i] | PacketFlag.NEEDS_CSUM : batch.flags[i] & ~PacketFlag.NEEDS_CSUM;
    out.push(hdr);
  }
  return out;
}

/** The upper-layer protocol of an IPv6 packet: the Next Header that leads to the L4 offset. */
function nextHeaderAt(b: Uint8Array, l3: number, l4: number): number {
  let next = b[l3 + 6];
  for (let p = l3 + 40; p < l4; ) {
    const len = next === 44 ? 8 : (b[p + 1] + 1) * 8;
    next = b[p];
    p += len;
  }
  return next;
}

/** The same for one Ethernet frame. */
export function tapFrameOffloads(frame: Uint8Array, port: TapPortOffloads): VirtioNetHdr {
  const batch = PacketBatch.create({ capacity: 1, dataSize: frame.length + 256 });
  batch.append(frame);
  createParser().parse(batch, 1);
  return applyTapPortOffloads(batch, port)[0];
}
