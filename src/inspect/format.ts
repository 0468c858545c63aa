/**
 * The one-line text form of an inspect record, a terse tshark:
 *
 *   12  1700000000.000000012  148/148  eth/ip/udp/vxlan/eth/ip/icmp
 *       192.0.2.1 > 192.0.2.2 udp 52000 > 4789 vxlan vni 100 | 198.18.0.1 > 198.18.0.2 icmp echo-request
 *       csum ip:good udp:absent ip@1:good icmp@1:good
 *
 * (printed on one line). Depth > 0 is written `@depth`; layers quoted inside
 * an ICMP error are shown in brackets.
 */
import type { InspectLayer, InspectRecord } from './inspect.js';

const ICMP_TYPES: Record<number, string> = {
  0: 'echo-reply',
  3: 'unreachable',
  5: 'redirect',
  8: 'echo-request',
  11: 'time-exceeded',
};
const ICMP_UNREACH_CODES: Record<number, string> = { 0: 'net', 1: 'host', 3: 'port', 4: 'frag-needed' };
const ICMPV6_TYPES: Record<number, string> = {
  1: 'unreachable',
  2: 'packet-too-big',
  3: 'time-exceeded',
  128: 'echo-request',
  129: 'echo-reply',
  133: 'router-solicitation',
  134: 'router-advertisement',
  135: 'neighbor-solicitation',
  136: 'neighbor-advertisement',
};

function describeLayer(l: InspectLayer, hasL3: boolean): string | undefined {
  const f = l.fields;
  switch (l.name) {
    case 'eth':
      return hasL3 ? undefined : `${f.src} > ${f.dst}`;
    case 'vlan':
      return f.vid !== undefined ? `vlan ${f.vid}` : 'vlan';
    case 'arp':
      if (f.op === 1) return `arp who-has ${f.tpa ?? '?'} tell ${f.spa ?? '?'}`;
      if (f.op === 2) return `arp reply ${f.spa ?? '?'} is-at ${f.sha ?? '?'}`;
      return `arp op ${f.op ?? '?'}`;
    case 'ip': {
      const frag = f.mf || f.fragOffset ? ` frag ${f.fragOffset}${f.mf ? '+' : ''}` : '';
      return f.src !== undefined ? `${f.src} > ${f.dst} ttl ${f.ttl} id ${f.id}${f.df ? ' DF' : ''}${frag}` : 'ip';
    }
    case 'ipv6':
      return f.src !== undefined ? `${f.src} > ${f.dst} hlim ${f.hopLimit}` : 'ipv6';
    case 'tcp':
      return f.srcPort !== undefined ? `tcp ${f.srcPort} > ${f.dstPort} [${f.flags}] seq ${f.seq}` : 'tcp';
    case 'udp':
      return f.srcPort !== undefined ? `udp ${f.srcPort} > ${f.dstPort}` : 'udp';
    case 'icmp': {
      const t = Number(f.type);
      const name = ICMP_TYPES[t] ?? `type ${t}`;
      const code = t === 3 ? ICMP_UNREACH_CODES[Number(f.code)] ?? `code ${f.code}` : Number(f.code) ? `code ${f.code}` : '';
      return `icmp ${name}${code ? ' ' + code : ''}`;
    }
    case 'icmpv6': {
      const t = Number(f.type);
      return `icmpv6 ${ICMPV6_TYPES[t] ?? `type ${t}`}${Number(f.code) ? ` code ${f.code}` : ''}`;
    }
    case 'gre':
      return `gre${f.key !== undefined ? ` key ${f.key}` : ''} proto 0x${Number(f.protocol ?? 0).toString(16).padStart(4, '0')}`;
    case 'mpls':
      return `mpls ${f.labels ?? ''}`.trimEnd();
    case 'vxlan':
      return `vxlan vni ${f.vni}`;
    case 'geneve':
      return `geneve vni ${f.vni}`;
    default:
      return l.name;
  }
}

/** The summary part: what each encapsulation level carries, levels separated by " | ". */
export function summarize(stack: InspectLayer[]): string {
  const own = stack.filter((l) => !l.quoted);
  const levels: string[] = [];
  let current: string[] = [];
  let depth = own[0]?.depth ?? 0;
  const hasL3At = new Set(own.filter((l) => l.name === 'ip' || l.name === 'ipv6' || l.name === 'arp').map((l) => l.depth));
  for (const l of own) {
    if (l.depth !== depth) {
      if (current.length) levels.push(current.join(' '));
      current = [];
      depth = l.depth;
    }
    const text = describeLayer(l, hasL3At.has(l.depth));
    if (text) current.push(text);
  }
  if (current.length) levels.push(current.join(' '));
  const quoted = stack.filter((l) => l.quoted);
  const quotedText = quoted.length
    ? ` [quoted ${quoted.map((l) => describeLayer(l, true)).filter(Boolean).join(' ')}]`
    : '';
  return levels.join(' | ') + quotedText;
}

/** One text line for a record. */
export function formatInspectLine(r: InspectRecord): string {
  const layers = r.stack.filter((l) => !l.quoted).map((l) => l.name).join('/');
  const csum = r.checksums
    .map((c) => `${c.quoted ? '[' : ''}${c.layer}${c.depth ? '@' + c.depth : ''}:${c.status}${c.quoted ? ']' : ''}`)
    .join(' ');
  const parts = [
    String(r.index).padStart(5),
    r.time,
    `${r.caplen}/${r.len}`,
    layers || '-',
    summarize(r.stack),
  ];
  if (csum) parts.push(`csum ${csum}`);
  if (r.truncated) parts.push('(truncated capture)');
  if (r.error) parts.push(`MALFORMED ${r.error}: ${r.errorText ?? ''}`.trimEnd());
  return parts.join('  ');
}

/** The JSON form (one object per line). */
export function formatInspectJson(r: InspectRecord): string {
  return JSON.stringify(r);
}
