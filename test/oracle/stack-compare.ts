/**
 * One text form for a packet's layer stack and checksum verdicts, built from
 * tshark's PDML or from our parser, so the two compare as strings:
 * "eth ip:good udp:absent vxlan eth ip:good tcp:good".
 *
 * Mapping of tshark's protocol elements to our layer names:
 * - kept: our vocabulary; ieee8021ad is a vlan tag;
 * - skipped: elements that are part of a layer we report (ethertype, IPv6
 *   extension headers, the MPLS pseudowire control word and its heuristic);
 * - the stack ends at the first other protocol: what follows it (an
 *   application, LLC, a GRE payload type we do not follow) is payload to us;
 * - tshark has one mpls element per label, we one layer per label stack.
 * Verdicts: tshark has no "partial": a pseudo-header sum left for offload is
 * "bad" to it (and to the wire), so our partial compares as bad. tshark calls
 * a zero UDP checksum over IPv6 "illegal" (RFC 8200); we report it absent and
 * leave legality to the receiver (the RFC 6935 allowance is a tunnel setting).
 */
import type { TsharkFrame } from './tshark.js';

const OURS = new Set(['eth', 'vlan', 'arp', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'mpls', 'vxlan', 'geneve', 'sll', 'ppp']);
const TRANSPARENT = new Set(['ethertype', 'pwethheuristic', 'pwethcw', 'pwethnocw', 'pweth', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts']);
const ALIAS: Record<string, string> = { ieee8021ad: 'vlan' };

/** tshark's stack as tokens "name" or "name:status". */
export function tsharkStack(f: TsharkFrame): string[] {
  const out: string[] = [];
  for (const l of f.layers) {
    if (TRANSPARENT.has(l.proto) || l.proto.startsWith('_ws')) continue;
    const name = ALIAS[l.proto] ?? l.proto;
    if (!OURS.has(name)) break;
    if (name === 'mpls' && out[out.length - 1] === 'mpls') continue;
    const status = l.status === 'illegal' && name === 'udp' ? 'absent' : l.status;
    out.push(status ? `${name}:${status}` : name);
  }
  return out;
}

interface OurLayer {
  name: string;
  depth: number;
  quoted?: true;
}
interface OurChecksum {
  layer: string;
  depth: number;
  status: string;
  quoted?: true;
}

/** Our stack in the same form; checksums pair with layers in order (both lists are outermost first). */
export function ourStack(d: { layers: readonly OurLayer[]; checksums: readonly OurChecksum[] }): string[] {
  const out: string[] = [];
  let c = 0;
  for (const l of d.layers) {
    const cs = d.checksums[c];
    let tok = l.name;
    if (cs && cs.layer === l.name && cs.depth === l.depth && (cs.quoted ?? false) === (l.quoted ?? false)) {
      tok += `:${cs.status === 'partial' ? 'bad' : cs.status}`;
      c++;
    }
    out.push(tok);
  }
  return out;
}
