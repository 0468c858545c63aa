/**
 * The packet parser (native/parse.h) from TypeScript: `parse` fills a batch's
 * layer columns, flags, drop reasons and flow keys in one native call;
 * `describe` also returns each packet's layer stack and checksum verdicts
 * (for `vswitch-sim inspect`, not the hot path).
 */
import type { PacketBatch } from '../datapath/batch.js';
import { PacketFlag } from '../datapath/batch-layout.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { native, type NativeParser } from '../datapath/native.js';

/** pcap LINKTYPE_* values the parser accepts. */
export const LinkType = {
  ETHERNET: 1,
  PPP: 9,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
export type LinkTypeValue = (typeof LinkType)[keyof typeof LinkType];

const LINK_TYPES: ReadonlySet<number> = new Set(Object.values(LinkType));

/** Layer names, indexed by the native LayerProto value (native/parse.h). */
export const LAYER_NAMES = [
  undefined,
  'eth',
  'vlan',
  'arp',
  'ip',
  'ipv6',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'gre',
  'mpls',
  'vxlan',
  'geneve',
  'sll',
  'ppp',
] as const;
export type LayerName = Exclude<(typeof LAYER_NAMES)[number], undefined>;

/** Checksum verdicts (native CsumStatus, csum.h), indexed by value; 0 = the layer has none. */
export const CSUM_STATUSES = [undefined, 'good', 'bad', 'partial', 'absent', 'unverified'] as const;
export type ChecksumStatus = Exclude<(typeof CSUM_STATUSES)[number], undefined>;

export interface LayerInfo {
  name: LayerName;
  /** Encapsulation depth: 0 outer, +1 past each tunnel header (native/parse.h). */
  depth: number;
  /** Byte offset from the packet start. */
  offset: number;
  /** Inside the packet an ICMP error quotes (not part of the packet's own stack). */
  quoted?: true;
}

export interface ChecksumInfo {
  layer: LayerName;
  depth: number;
  status: ChecksumStatus;
  quoted?: true;
}

export interface PacketDescription {
  layers: LayerInfo[];
  /** Outermost first. */
  checksums: ChecksumInfo[];
  /** Drop reason name when the parser found the packet malformed. */
  error?: string;
  /** Captured length < wire length. */
  truncated: boolean;
}

export interface ParserOptions {
  /** UDP destination ports decoded as VXLAN (default [4789]; at most 8). */
  vxlanPorts?: readonly number[];
  /** UDP destination ports decoded as Geneve (default [6081]; at most 8). */
  genevePorts?: readonly number[];
  /** UDP destination ports decoded as MPLS over UDP (default [6635]; at most 8). */
  mplsUdpPorts?: readonly number[];
  /**
   * parse() also verifies the outer IPv4 header and TCP/UDP checksums into
   * PacketFlag.CSUM_VERIFIED / IP_CSUM_BAD / L4_CSUM_BAD (default false;
   * describe() verifies every layer either way).
   */
  verifyChecksums?: boolean;
}

export interface Parser {
  /** Parses every packet of the batch (columns, flags, drop reasons, flow keys). */
  parse(batch: PacketBatch, linkType: number): void;
  /** Parses every packet and describes its layers and checksums. */
  describe(batch: PacketBatch, linkType: number): PacketDescription[];
  /**
   * describe() without building objects: packet i's layers are records
   * [index[i], index[i+1]), two words each in `records` (see decodeDescriptions).
   * Parses and verifies every checksum in one native call.
   */
  describeRaw(batch: PacketBatch, linkType: number): { records: Uint32Array; index: Uint32Array };
}

const MAX_PORTS = 8;

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'Array';
  if (v === null) return 'null';
  return typeof v === 'number' ? `number ${v}` : typeof v;
}

function checkPorts(name: keyof ParserOptions, ports: unknown): number[] | undefined {
  if (ports === undefined) return undefined;
  if (!Array.isArray(ports) || ports.length > MAX_PORTS)
    throw new TypeError(
      `expected an array of at most ${MAX_PORTS} UDP port numbers for options.${name}, received ${
        Array.isArray(ports) ? `${ports.length} ports` : describeValue(ports)
      }`,
    );
  return ports.map((p: unknown, k) => {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 0xffff)
      throw new RangeError(`expected an integer in [0, 65535] for options.${name}[${k}], received ${describeValue(p)}`);
    return p;
  });
}

function checkLinkType(linkType: unknown): number {
  if (typeof linkType !== 'number' || !LINK_TYPES.has(linkType))
    throw new RangeError(
      `expected a supported link type (${[...LINK_TYPES].join(', ')}) for linkType, received ${describeValue(linkType)}`,
    );
  return linkType;
}

/** Turns describe()'s typed arrays into one description per packet. */
export function decodeDescriptions(
  records: Uint32Array,
  index: Uint32Array,
  flags: Uint32Array,
  drop: Uint16Array,
): PacketDescription[] {
  const out: PacketDescription[] = [];
  for (let i = 0; i + 1 < index.length; i++) {
    const layers: LayerInfo[] = [];
    const checksums: ChecksumInfo[] = [];
    for (let r = index[i]; r < index[i + 1]; r++) {
      const w = records[2 * r];
      const name = LAYER_NAMES[w & 0xff];
      if (name === undefined) continue;
      const depth = (w >>> 8) & 0xff;
      const status = CSUM_STATUSES[(w >>> 16) & 0xff];
      const quoted = (w >>> 24) & 0xff ? true : undefined;
      layers.push(quoted ? { name, depth, offset: records[2 * r + 1], quoted } : { name, depth, offset: records[2 * r + 1] });
      if (status !== undefined) checksums.push(quoted ? { layer: name, depth, status, quoted } : { layer: name, depth, status });
    }
    const d: PacketDescription = { layers, checksums, truncated: (flags[i] & PacketFlag.TRUNCATED) !== 0 };
    if (drop[i] !== 0 && (flags[i] & PacketFlag.MALFORMED) !== 0) d.error = DROP_REASONS[drop[i]]?.[0] ?? `drop_${drop[i]}`;
    out.push(d);
  }
  return out;
}

/** A parser with the given tunnel ports. */
export function createParser(options: ParserOptions = {}): Parser {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`expected an object for options, received ${describeValue(options)}`);
  const nativeOptions: { vxlanPorts?: number[]; genevePorts?: number[]; mplsUdpPorts?: number[]; verifyChecksums?: boolean } = {};
  if (options.verifyChecksums !== undefined) {
    if (typeof options.verifyChecksums !== 'boolean')
      throw new TypeError(`expected a boolean for options.verifyChecksums, received ${describeValue(options.verifyChecksums)}`);
    nativeOptions.verifyChecksums = options.verifyChecksums;
  }
  const vxlanPorts = checkPorts('vxlanPorts', options.vxlanPorts);
  const genevePorts = checkPorts('genevePorts', options.genevePorts);
  const mplsUdpPorts = checkPorts('mplsUdpPorts', options.mplsUdpPorts);
  if (vxlanPorts) nativeOptions.vxlanPorts = vxlanPorts;
  if (genevePorts) nativeOptions.genevePorts = genevePorts;
  if (mplsUdpPorts) nativeOptions.mplsUdpPorts = mplsUdpPorts;
  const impl: NativeParser = new (native().Parser)(nativeOptions);
  return {
    parse(batch, linkType) {
      impl.parse(batch.buffer, checkLinkType(linkType));
    },
    describe(batch, linkType) {
      const { records, index } = impl.describe(batch.buffer, checkLinkType(linkType));
      return decodeDescriptions(records, index, batch.flags, batch.drop);
    },
    describeRaw(batch, linkType) {
      return impl.describe(batch.buffer, checkLinkType(linkType));
    },
  };
}
