/**
 * The native offload operations on packet batches (native/js_offload.cc):
 * virtio metadata, checksum completion, software GSO, MTU check, IPv4
 * fragmentation, ICMP "fragmentation needed" / Packet Too Big, reassembly.
 * Arguments are validated here ("expected X for Y, received Z"); native
 * failures come back as NativeError with a stable `code`.
 */
import type { PacketBatch } from '../datapath/batch.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { native, type NativeReassembler } from '../datapath/native.js';
import { encodeVirtioNetHdr, type VirtioNetHdr } from './virtio-net-hdr.js';

/** `linux`: CWR on the first segment only; `ovs`: CWR on every segment (OVS userspace, DPDK). */
export type GsoProfileName = 'linux' | 'ovs';

export interface GsoOptions {
  profile?: GsoProfileName;
  /** Leave the innermost L4 checksum partial for a NIC with NETIF_F_HW_CSUM. */
  partialCsum?: boolean;
  /** Keep the IPv4 ID constant (only honoured with DF). */
  fixedId?: boolean;
  /** Override the packet's gso_size (vRouter shrinks it to fit encap + underlay MTU). */
  gsoSize?: number;
}

/** Stable drop-reason name of a native DropReason value. */
export function dropName(code: number): string {
  return DROP_REASONS[code]?.[0] ?? `drop_${code}`;
}

function checkIndex(batch: PacketBatch, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= batch.count)
    throw new RangeError(`expected a packet index in [0, ${batch.count}) for index, received ${String(index)}`);
  return index;
}

function checkU16(v: number | undefined, name: string, min = 0): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < min || v > 0xffff) throw new RangeError(`expected an integer in [${min}, 65535] for ${name}, received ${String(v)}`);
  return v;
}

function nativeGso(o: GsoOptions): { profile: number; partialCsum: boolean; fixedId: boolean; gsoSize: number } {
  if (o.profile !== undefined && o.profile !== 'linux' && o.profile !== 'ovs')
    throw new RangeError(`expected 'linux' or 'ovs' for options.profile, received ${String(o.profile)}`);
  return {
    profile: o.profile === 'ovs' ? 1 : 0,
    partialCsum: o.partialCsum === true,
    fixedId: o.fixedId === true,
    gsoSize: checkU16(o.gsoSize, 'options.gsoSize'),
  };
}

/** Stores a virtio_net_hdr into packet `index`'s columns and flags. */
export function applyVirtioNetHdr(batch: PacketBatch, index: number, hdr: VirtioNetHdr | Uint8Array): void {
  const bytes = hdr instanceof Uint8Array ? hdr : encodeVirtioNetHdr(hdr);
  native().applyVnetHdr(batch.buffer, checkIndex(batch, index), bytes);
}

/**
 * Who completes partial checksums: software / a correct NIC, or a NIC with a
 * modelled fault (native/csum_complete.h CsumEngine; every packet a fault
 * touched gets FLAG_FAULT):
 *  - 'bad-hw-csum': advertises HW checksum, leaves the pseudo-header out (Broadcom BCM5719);
 *  - 'nested-mplsogre-csum': on MPLSoGRE packets sums from the GRE header instead of csum_start;
 *  - 'vxlan-vlan-gso': on VXLAN over an 802.1Q underlay the sum starts 4 bytes early (header lengths miss the tag).
 * The last two need the batch parsed after encap (COL_TNL, FLAG_VLAN).
 */
export type CsumEngineName = 'correct' | 'bad-hw-csum' | 'nested-mplsogre-csum' | 'vxlan-vlan-gso';
const ENGINES: Record<CsumEngineName, number> = { correct: 0, 'bad-hw-csum': 1, 'nested-mplsogre-csum': 2, 'vxlan-vlan-gso': 3 };

export interface CompleteOptions {
  /** What a computed 0 becomes: 'mangle' 0xFFFF (skb_checksum_help), 'keep' 0x0000 (Linux TCP GSO). */
  zero?: 'mangle' | 'keep';
  engine?: CsumEngineName;
}

/** Completes every live NEEDS_CSUM packet. Returns the number completed. */
export function completeChecksums(batch: PacketBatch, options: CompleteOptions = {}): number {
  const engine = ENGINES[options.engine ?? 'correct'];
  if (engine === undefined) throw new RangeError(`expected one of ${Object.keys(ENGINES).join(', ')} for options.engine, received ${String(options.engine)}`);
  return native().csumComplete(batch.buffer, options.zero === 'keep' ? 1 : 0, engine);
}

/**
 * The receiving host's TCP/UDP checksum check (native/rx_csum_check.h) on
 * every live parsed packet: wrong or still-partial checksums, and zero UDP
 * checksums over IPv6, are dropped as `bad_l4_checksum`. Returns the number dropped.
 */
export function checkReceivedChecksums(batch: PacketBatch): number {
  return native().rxCsumCheck(batch.buffer);
}

/** Segments every live packet of input into output. Refused packets are marked dropped in input. */
export function gsoBatch(input: PacketBatch, output: PacketBatch, options: GsoOptions = {}): { consumed: number; outputFull: boolean } {
  return native().gsoBatch(input.buffer, output.buffer, nativeGso(options));
}

/** Segments one packet; `drop` names a refused packet. Throws ERR_VS_OUTPUT_FULL when output has no room. */
export function gsoPacket(input: PacketBatch, index: number, output: PacketBatch, options: GsoOptions = {}): { drop: string; segments: number } {
  const r = native().gsoPacket(input.buffer, checkIndex(input, index), output.buffer, nativeGso(options));
  return { drop: dropName(r.drop), segments: r.segments };
}

export type MtuVerdict = 'fits' | 'fragment' | 'too-big-df' | 'too-big-v6' | 'not-ip';
const VERDICTS: MtuVerdict[] = ['fits', 'fragment', 'too-big-df', 'too-big-v6', 'not-ip'];

/** Does packet `index` fit an IP MTU (and optional frame-size limit)? GSO packets are judged by their largest segment. */
export function mtuCheck(batch: PacketBatch, index: number, ipMtu: number, frameLimit = 0): { verdict: MtuVerdict; ipLength: number } {
  checkU16(ipMtu, 'ipMtu', 68);
  checkU16(frameLimit, 'frameLimit');
  const r = native().mtuCheck(batch.buffer, checkIndex(batch, index), ipMtu, frameLimit);
  return { verdict: VERDICTS[r.verdict] ?? 'not-ip', ipLength: r.ipLength };
}

/** Fragments IPv4 packet `index` to fit `mtu` (RFC 791, as Linux). */
export function fragmentIpv4(input: PacketBatch, index: number, mtu: number, output: PacketBatch): { drop: string; fragments: number } {
  checkU16(mtu, 'mtu');
  const r = native().ipv4Fragment(input.buffer, checkIndex(input, index), mtu, output.buffer);
  return { drop: dropName(r.drop), fragments: r.fragments };
}

export interface IcmpErrorOptions {
  /** Source MAC of the error (the router / gateway). */
  srcMac: Uint8Array;
  /** Source address (4 or 16 bytes): the router, or vRouter's VRF gateway. */
  srcIp: Uint8Array;
  ttl?: number;
  /** IPv4 TOS (Linux 0xc0). */
  tos?: number;
  df?: boolean;
  ipId?: number;
  flowLabel?: number;
  /** Cap on the error's IP length (576 IPv4, 1280 IPv6 by default). */
  maxLength?: number;
}

function checkIcmp(o: IcmpErrorOptions, ipBytes: number): IcmpErrorOptions {
  if (!(o.srcMac instanceof Uint8Array) || o.srcMac.length !== 6)
    throw new TypeError(`expected a 6-byte Uint8Array for options.srcMac, received ${String(o.srcMac)}`);
  if (!(o.srcIp instanceof Uint8Array) || o.srcIp.length !== ipBytes)
    throw new TypeError(`expected a ${ipBytes}-byte Uint8Array for options.srcIp, received ${String(o.srcIp)}`);
  return o;
}

/** True when an ICMP error about packet `index` may be sent (not an error, not a later fragment, unicast source). */
export function icmpErrorAllowed(batch: PacketBatch, index: number): boolean {
  return native().icmpErrorAllowed(batch.buffer, checkIndex(batch, index));
}

/** Appends ICMP type 3 code 4 about IPv4 packet `index` to output. */
export function icmpFragNeeded(input: PacketBatch, index: number, mtu: number, options: IcmpErrorOptions, output: PacketBatch): void {
  checkU16(mtu, 'mtu');
  native().icmpFragNeeded(input.buffer, checkIndex(input, index), mtu, checkIcmp(options, 4), output.buffer);
}

/** Appends ICMPv6 Packet Too Big (MTU floor 1280) about IPv6 packet `index` to output. */
export function icmpv6PacketTooBig(input: PacketBatch, index: number, mtu: number, options: IcmpErrorOptions, output: PacketBatch): void {
  if (!Number.isInteger(mtu) || mtu < 0 || mtu > 0xffffffff) throw new RangeError(`expected a 32-bit integer for mtu, received ${mtu}`);
  native().icmpv6PacketTooBig(input.buffer, checkIndex(input, index), mtu, checkIcmp(options, 16), output.buffer);
}

export interface ReassemblyLimits {
  maxDatagrams?: number;
  maxBytes?: number;
  /** Seconds, IPv4 datagrams (Linux ipfrag_time: 30). */
  timeoutSec?: number;
  /** Seconds, IPv6 datagrams (Linux ip6frag_time: 60). */
  timeout6Sec?: number;
}

export interface ReassemblyResult {
  drop: string;
  droppedFragments: number;
  held: boolean;
  emitted: boolean;
}

/**
 * IPv4 and IPv6 reassembly state of one modelled host (native/reassembly.h):
 * overlap drops the datagram, duplicates are dropped alone, IPv6 atomic
 * fragments pass at once without their fragment header, an IPv6 first
 * fragment without the whole header chain is dropped (`reasm_incomplete_chain`).
 */
export class Reassembler {
  private readonly impl: NativeReassembler;
  constructor(limits: ReassemblyLimits = {}) {
    const l: { maxDatagrams?: number; maxBytes?: number; timeoutNs?: number; timeout6Ns?: number } = {};
    if (limits.maxDatagrams !== undefined) l.maxDatagrams = limits.maxDatagrams;
    if (limits.maxBytes !== undefined) l.maxBytes = limits.maxBytes;
    if (limits.timeoutSec !== undefined) {
      if (!(limits.timeoutSec >= 0)) throw new RangeError(`expected a non-negative number for limits.timeoutSec, received ${limits.timeoutSec}`);
      l.timeoutNs = limits.timeoutSec * 1e9;
    }
    if (limits.timeout6Sec !== undefined) {
      if (!(limits.timeout6Sec >= 0)) throw new RangeError(`expected a non-negative number for limits.timeout6Sec, received ${limits.timeout6Sec}`);
      l.timeout6Ns = limits.timeout6Sec * 1e9;
    }
    this.impl = new (native().Reassembler)(l);
  }
  /** Feeds packet `index` at time nowNs; completed datagrams (and non-fragments) are appended to output. */
  feed(input: PacketBatch, index: number, nowNs: number, output: PacketBatch): ReassemblyResult {
    const r = this.impl.feed(input.buffer, checkIndex(input, index), nowNs, output.buffer);
    return { drop: dropName(r.drop), droppedFragments: r.droppedFragments, held: r.held, emitted: r.emitted };
  }
  /** Drops datagrams that timed out at nowNs. */
  expire(nowNs: number): { fragments: number; bytes: number }[] {
    return this.impl.expire(nowNs);
  }
  get datagrams(): number {
    return this.impl.datagrams();
  }
  get bytes(): number {
    return this.impl.bytes();
  }
}
