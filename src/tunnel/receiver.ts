/**
 * DecapTables: which tunnels a receiving host terminates and its tables, and
 * their serialization for the native core (native/tunnel_receiver.h).
 */
import { parseMac } from './addr.js';

/** One entry of the MPLS label table: the label's nexthop says what follows the stack. */
export interface LabelEntry {
  label: number;
  /** ip: an inet nexthop (IP payload); ethernet: a bridge nexthop (Ethernet payload). */
  payload: 'ip' | 'ethernet';
  /** Ethernet payload preceded by a 4-byte control word (default false). */
  controlWord?: boolean;
  /** Ethernet header given to an IP payload after decap (defaults 02:00:00:00:00:02 / 02:00:00:00:00:01). */
  dstMac?: string;
  srcMac?: string;
}

export type GreFlag = 'C' | 'K' | 'S';

export interface DecapTables {
  /** Terminate VXLAN: UDP port (default 4789) and the known VNIs, or 'any'. */
  vxlan?: { port?: number; vnis: number[] | 'any' };
  /** Terminate MPLSoUDP on a UDP port (default 6635). */
  mplsoudp?: { port?: number };
  /** Terminate MPLSoGRE; GRE flags accepted (default C and K, as vRouter). */
  mplsogre?: { acceptFlags?: GreFlag[] };
  /**
   * Terminate Ethernet over GRE (protocol 0x6558, OVS's gre port); the key
   * becomes the tunnel id. GRE flags accepted (default C, K and S, as OVS;
   * one set is shared with mplsogre: when both are given, mplsogre's wins).
   */
  gre?: { acceptFlags?: GreFlag[] };
  /** The label table (MPLSoUDP and MPLSoGRE), keyed by the bottom-of-stack label. */
  labels?: LabelEntry[];
  /** Accept a zero outer UDP checksum over IPv6 (RFC 6935/6936; default false). */
  allowZeroUdpChecksumIpv6?: boolean;
  /** Drop decapsulated frames that carry a VLAN tag (RFC 7348 SHOULD; default true). */
  discardInnerVlan?: boolean;
  /** Accept an outer UDP checksum left to offload (a capture taken before the NIC; default false). */
  acceptPartialChecksum?: boolean;
}

const RX = { vxlan: 1, mplsoudp: 2, mplsogre: 4, anyVni: 8, zeroCsumV6: 16, discardInnerVlan: 32, acceptPartial: 64, gre: 128 } as const;
const GRE_BITS: Record<GreFlag, number> = { C: 0x8000, K: 0x2000, S: 0x1000 };
const HEADER = 32;
const ENTRY = 20;

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`expected an integer in [${min}, ${max}] for ${field}, received ${JSON.stringify(v)}`);
  return v;
}

/** Validates the tables and serializes them (VNIs and labels sorted; duplicates are an error). */
export function buildReceiver(tables: DecapTables): Uint8Array {
  if (tables === null || typeof tables !== 'object') throw new TypeError(`expected decap tables object, received ${typeof tables}`);
  let flags = 0;
  let vnis: number[] = [];
  if (tables.vxlan) {
    flags |= RX.vxlan;
    if (tables.vxlan.vnis === 'any') flags |= RX.anyVni;
    else if (Array.isArray(tables.vxlan.vnis)) vnis = tables.vxlan.vnis.map((v, k) => int(v, `vxlan.vnis[${k}]`, 0, 0xffffff));
    else throw new TypeError(`expected an array of VNIs or 'any' for vxlan.vnis`);
  }
  if (tables.mplsoudp) flags |= RX.mplsoudp;
  const acceptOf = (list: GreFlag[], where: string): number => {
    let bits = 0;
    for (const f of list) {
      if (!(f in GRE_BITS)) throw new RangeError(`expected GRE flags among C, K, S for ${where}.acceptFlags, received ${JSON.stringify(f)}`);
      bits |= GRE_BITS[f];
    }
    return bits;
  };
  let greAccept = GRE_BITS.C | GRE_BITS.K;
  if (tables.gre) {
    flags |= RX.gre;
    greAccept = tables.gre.acceptFlags ? acceptOf(tables.gre.acceptFlags, 'gre') : GRE_BITS.C | GRE_BITS.K | GRE_BITS.S;
  }
  if (tables.mplsogre) {
    flags |= RX.mplsogre;
    if (tables.mplsogre.acceptFlags) greAccept = acceptOf(tables.mplsogre.acceptFlags, 'mplsogre');
    else if (!tables.gre) greAccept = GRE_BITS.C | GRE_BITS.K;
  }
  if (tables.allowZeroUdpChecksumIpv6) flags |= RX.zeroCsumV6;
  if (tables.discardInnerVlan ?? true) flags |= RX.discardInnerVlan;
  if (tables.acceptPartialChecksum) flags |= RX.acceptPartial;
  const labels = (tables.labels ?? []).map((e, k) => {
    const where = `labels[${k}]`;
    const label = int(e.label, `${where}.label`, 0, 0xfffff);
    if (e.payload !== 'ip' && e.payload !== 'ethernet') throw new RangeError(`expected "ip" or "ethernet" for ${where}.payload, received ${JSON.stringify(e.payload)}`);
    if (e.controlWord && e.payload !== 'ethernet') throw new RangeError(`${where}.controlWord needs payload "ethernet"`);
    return { label, payload: e.payload, cw: !!e.controlWord, dst: parseMac(e.dstMac ?? '02:00:00:00:00:02', `${where}.dstMac`), src: parseMac(e.srcMac ?? '02:00:00:00:00:01', `${where}.srcMac`) };
  });
  vnis.sort((a, b) => a - b);
  labels.sort((a, b) => a.label - b.label);
  for (let k = 1; k < vnis.length; k++) if (vnis[k] === vnis[k - 1]) throw new RangeError(`duplicate VNI ${vnis[k]} in vxlan.vnis`);
  for (let k = 1; k < labels.length; k++) if (labels[k].label === labels[k - 1].label) throw new RangeError(`duplicate label ${labels[k].label} in labels`);
  const out = new Uint8Array(HEADER + 4 * vnis.length + ENTRY * labels.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x31525356, true);
  dv.setUint32(4, flags, true);
  dv.setUint16(8, tables.vxlan?.port === undefined ? 4789 : int(tables.vxlan.port, 'vxlan.port', 1, 65535), true);
  dv.setUint16(10, tables.mplsoudp?.port === undefined ? 6635 : int(tables.mplsoudp.port, 'mplsoudp.port', 1, 65535), true);
  dv.setUint16(12, greAccept, true);
  dv.setUint32(16, vnis.length, true);
  dv.setUint32(20, labels.length, true);
  vnis.forEach((v, k) => dv.setUint32(HEADER + 4 * k, v, true));
  const base = HEADER + 4 * vnis.length;
  labels.forEach((e, k) => {
    const o = base + ENTRY * k;
    dv.setUint32(o, e.label, true);
    out[o + 4] = e.payload === 'ip' ? 1 : 2;
    out[o + 5] = e.cw ? 1 : 0;
    out.set(e.dst, o + 8);
    out.set(e.src, o + 14);
  });
  return out;
}
