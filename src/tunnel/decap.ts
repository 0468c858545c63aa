/**
 * decapBatch: validates and strips tunnel headers in the native core,
 * leaving each packet's inner Ethernet frame and returning what the outer
 * headers said (native/tunnel_types.h TunnelMeta).
 */
import type { PacketBatch } from '../datapath/batch.js';
import { native } from '../datapath/native.js';
import { formatMappedIp } from './addr.js';
import { buildReceiver, type DecapTables } from './receiver.js';
import type { TunnelKind } from './spec.js';

const META_SIZE = 64;
const KINDS: Record<number, TunnelKind> = { 1: 'vxlan', 2: 'mplsoudp', 3: 'mplsogre', 4: 'gre' };

/** Facts about one decapsulated packet. */
export interface TunnelInfo {
  type: TunnelKind;
  /** VXLAN VNI. */
  vni?: number;
  /** GRE key, when present. */
  greKey?: number;
  /** The label stack (up to the first two entries), top first. */
  labels?: { label: number; tc: number; bottom: boolean; ttl: number }[];
  /** Bottom-of-stack label (the one looked up) and how many labels the stack had. */
  label?: number;
  labelCount?: number;
  outerSrc: string;
  outerDst: string;
  outerIpv6: boolean;
  /** Outer DSCP (6 bits) and ECN (2 bits). */
  outerDscp: number;
  outerEcn: number;
  outerTtl: number;
  udpSrc?: number;
  udpDst?: number;
  /** The outer UDP or GRE checksum was present (and verified unless DATA_VALID). */
  checksummed: boolean;
  /** An IP payload got the label entry's Ethernet header. */
  ethernetSynthesized: boolean;
}

/** Receiver tables serialized once and reused across batches. */
export class CompiledReceiver {
  readonly bytes: Uint8Array;
  constructor(readonly tables: DecapTables) {
    this.bytes = buildReceiver(tables);
    native().tunnelReceiverCheck(this.bytes);
  }
}

export interface DecapResult {
  /** Packets decapsulated. */
  count: number;
  /** Per packet: the tunnel facts, or undefined for packets dropped (see the batch's drop column) or skipped. */
  info: (TunnelInfo | undefined)[];
}

function decodeMeta(m: DataView, o: number): TunnelInfo | undefined {
  const type = KINDS[m.getUint8(o)];
  if (!type) return undefined;
  const flags = m.getUint32(o + 4, true);
  const bytes = new Uint8Array(m.buffer, m.byteOffset + o, META_SIZE);
  const tos = m.getUint8(o + 2);
  const info: TunnelInfo = {
    type,
    outerSrc: formatMappedIp(bytes.subarray(24, 40)),
    outerDst: formatMappedIp(bytes.subarray(40, 56)),
    outerIpv6: (flags & 16) !== 0,
    outerDscp: tos >> 2,
    outerEcn: tos & 3,
    outerTtl: m.getUint8(o + 3),
    checksummed: (flags & 32) !== 0,
    ethernetSynthesized: (flags & 64) !== 0,
  };
  if (type === 'vxlan') info.vni = m.getUint32(o + 8, true);
  if (type === 'vxlan' || type === 'mplsoudp') {
    info.udpSrc = m.getUint16(o + 56, true);
    info.udpDst = m.getUint16(o + 58, true);
  }
  if (flags & 8) info.greKey = m.getUint32(o + 12, true);
  if (type === 'mplsoudp' || type === 'mplsogre') {
    const n = m.getUint8(o + 1);
    info.labelCount = n;
    info.label = m.getUint32(o + 60, true);
    info.labels = [];
    for (let k = 0; k < Math.min(n, 2); k++) {
      const lse = m.getUint32(o + 16 + 4 * k, true);
      info.labels.push({ label: lse >>> 12, tc: (lse >>> 9) & 7, bottom: (lse & 0x100) !== 0, ttl: lse & 0xff });
    }
  }
  return info;
}

/**
 * Decapsulates every live packet of `batch` that is a tunnel the tables
 * terminate; every other live packet is dropped with a named reason
 * (not_a_tunnel, invalid_vnid, invalid_label, bad_outer_udp_checksum, ...).
 * Afterwards packets hold their inner Ethernet frames and must be re-parsed.
 */
export function decapBatch(batch: PacketBatch, tables: CompiledReceiver | DecapTables): DecapResult {
  const rx = tables instanceof CompiledReceiver ? tables : new CompiledReceiver(tables);
  const meta = new Uint8Array(Math.max(1, batch.count) * META_SIZE);
  const count = native().tunnelDecap(batch.buffer, rx.bytes, meta);
  const dv = new DataView(meta.buffer);
  const info: (TunnelInfo | undefined)[] = [];
  for (let i = 0; i < batch.count; i++) info.push(decodeMeta(dv, i * META_SIZE));
  return { count, info };
}
