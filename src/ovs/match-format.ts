/**
 * Prints a set of masked field matches the way ovs-ofctl dump-flows prints a
 * rule's match (used for learned rules and the trace's "Megaflow:" line).
 */
import { FIELDS, FIELD_BY_NAME, formatValue, fullMask, hex, type FieldName } from './fields.js';
import type { FieldMatch } from './flow-parser.js';

const pad4 = (v: bigint): string => `0x${v.toString(16).padStart(4, '0')}`;

function one(name: FieldName, m: FieldMatch): string {
  const def = FIELD_BY_NAME.get(name);
  if (!def) return `${name}=${hex(m.value)}`;
  const full = fullMask(def.bits);
  if (name === 'vlan_tci') {
    if (m.mask === 0x1fffn && m.value & 0x1000n) return `dl_vlan=${m.value & 0xfffn}`;
    if (m.mask === 0xffffn && m.value === 0n) return 'vlan_tci=0x0000';
    if (m.mask === 0x1fffn && m.value === 0n) return 'vlan_tci=0x0000/0x1fff';
    return m.mask === full ? `vlan_tci=${pad4(m.value)}` : `vlan_tci=${pad4(m.value)}/${pad4(m.mask)}`;
  }
  if (def.kind === 'int' || def.kind === 'port') {
    const big = def.bits > 16 || name === 'dl_type';
    const v = big || m.mask !== full ? hex(m.value) : String(m.value);
    return m.mask === full ? `${name}=${name === 'in_port' ? String(m.value) : v}` : `${name}=${hex(m.value)}/${hex(m.mask)}`;
  }
  if (m.mask === full) return `${name}=${formatValue(def.kind, m.value)}`;
  if (def.kind === 'ipv4' || def.kind === 'ipv6') {
    // a prefix mask prints as /N
    let n = 0;
    while (n < def.bits && (m.mask >> BigInt(def.bits - 1 - n)) & 1n) n++;
    if (((full << BigInt(def.bits - n)) & full) === m.mask) return `${name}=${formatValue(def.kind, m.value)}/${n}`;
  }
  return `${name}=${formatValue(def.kind, m.value)}/${formatValue(def.kind, m.mask)}`;
}

/** Field matches in OVS print order. */
export function formatMatch(match: ReadonlyMap<FieldName, FieldMatch>): string {
  const out: string[] = [];
  for (const d of FIELDS) {
    const m = match.get(d.name);
    if (m && m.mask !== 0n) out.push(one(d.name, m));
  }
  return out.join(',');
}
