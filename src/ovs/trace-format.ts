/**
 * ofproto/trace-style text and a JSON form of a translation: the flow,
 * bridge by bridge each table, the rule that matched, its actions and notes,
 * then the final flow, the megaflow and the datapath actions.
 */
import { FIELD_BY_NAME, fullMask, type FieldName } from './fields.js';
import { formatFlow } from './flow.js';
import { formatMatch } from './match-format.js';
import type { FieldMatch } from './flow-parser.js';
import { formatOdpActions, type OvsOdpAction, type XlateResult } from './xlate.js';

const PROTO_WORDS: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '132': 'sctp', '58': 'icmp6' };

/**
 * The megaflow: the flow's values under the consulted bits, printed as
 * ofproto/trace prints it ("recirc_id=0,eth,udp,in_port=1,...,nw_frag=no"):
 * dl_type (and an exactly matched nw_proto) as the protocol word, no tunnel
 * fields for a packet that did not come from a tunnel and no vlan_tci for an
 * untagged one (OVS's datapath key has neither), nw_ecn and nw_frag by name.
 */
export function megaflowText(r: XlateResult): string {
  const m = new Map<FieldName, FieldMatch>();
  for (const [f, mask] of r.wildcards) {
    const bits = FIELD_BY_NAME.get(f)?.bits ?? 64;
    const mk = mask & fullMask(bits);
    if (mk) m.set(f, { value: r.flow[f] & mk, mask: mk });
  }
  const words = ['recirc_id=0', 'eth'];
  const type = m.get('dl_type');
  const proto = m.get('nw_proto');
  const dlType = r.flow.dl_type;
  if (type && type.mask === 0xffffn) {
    m.delete('dl_type');
    const v6 = dlType === 0x86ddn;
    const p = proto && proto.mask === 0xffn && (dlType === 0x800n || v6) ? PROTO_WORDS[String(r.flow.nw_proto)] : undefined;
    if (p) m.delete('nw_proto');
    if (dlType === 0x800n) words.push(p ?? 'ip');
    else if (v6) words.push(p ? (p === 'icmp6' ? p : `${p}6`) : 'ipv6');
    else if (dlType === 0x806n) words.push('arp');
    else m.set('dl_type', type);
  }
  if (!r.flow.tun_src && !r.flow.tun_dst) for (const f of ['tun_id', 'tun_src', 'tun_dst'] as const) m.delete(f);
  if (!(r.flow.vlan_tci & 0x1000n)) m.delete('vlan_tci');
  const tail: string[] = [];
  const tos = m.get('nw_tos');
  if (tos && tos.mask === 3n) { m.delete('nw_tos'); tail.push(`nw_ecn=${tos.value}`); }
  const frag = m.get('nw_frag');
  if (frag && frag.mask === 3n) { m.delete('nw_frag'); tail.push(`nw_frag=${frag.value === 0n ? 'no' : frag.value & 2n ? 'later' : 'first'}`); }
  const body = formatMatch(m).split(',').filter(Boolean);
  // OVS's order: the IP fields, then nw_ecn / nw_frag, then the L4 ones
  let at = body.findIndex((x) => /^(tp_src|tp_dst|tcp_flags|icmp_type|icmp_code)=/.test(x));
  if (at < 0) at = body.length;
  body.splice(at, 0, ...tail);
  // a native tunnel output reads pkt_mark (tnl_port_send; not modelled, always 0)
  const pushes = (list: readonly OvsOdpAction[]): boolean => list.some((a) => a.type === 'tnl_push' || (a.type === 'clone' && pushes(a.actions)));
  return [...(pushes(r.actions) ? ['pkt_mark=0'] : []), ...words, ...body].join(',');
}

export function traceText(r: XlateResult): string {
  const out: string[] = [`Flow: ${formatFlow(r.flow)}`];
  for (const e of r.events) {
    const ind = '    '.repeat(e.depth);
    switch (e.kind) {
      case 'bridge': {
        const head = `bridge("${e.bridge}")`;
        out.push('', `${ind}${head}`, `${ind}${'-'.repeat(head.length)}`);
        break;
      }
      case 'rule': {
        const t = String(e.table).padStart(2);
        if (e.priority === undefined) out.push(`${ind}${t}.`);
        else out.push(`${ind}${t}. ${e.match ? `${e.match}, ` : ''}priority ${e.priority}${e.cookie ? `, cookie ${e.cookie}` : ''}`);
        break;
      }
      case 'action':
        out.push(`${ind}    ${e.text}`);
        break;
      case 'note':
        out.push(`${ind}     -> ${e.text}`);
        break;
      case 'hop':
        out.push('', `${ind}${e.device}`, `${ind}${'-'.repeat(e.device.length)}`, `${ind}    ${e.text}`);
        break;
    }
  }
  const changed = formatFlow(r.finalFlow) === formatFlow(r.flow) ? 'unchanged' : formatFlow(r.finalFlow);
  out.push('', `Final flow: ${changed}`, `Megaflow: ${megaflowText(r)}`, `Datapath actions: ${formatOdpActions(r.actions)}`);
  return out.join('\n');
}

export interface TraceJson {
  flow: string;
  events: XlateResult['events'];
  learned: string[];
  finalFlow: string;
  megaflow: string;
  datapathActions: string;
}

export function traceJson(r: XlateResult): TraceJson {
  return {
    flow: formatFlow(r.flow),
    events: r.events,
    learned: r.learned,
    finalFlow: formatFlow(r.finalFlow),
    megaflow: megaflowText(r),
    datapathActions: formatOdpActions(r.actions),
  };
}
