/**
 * ofproto/trace-style text and a JSON form of a translation: the flow,
 * bridge by bridge each table, the rule that matched, its actions and notes,
 * then the final flow, the megaflow and the datapath actions.
 */
import { FIELD_BY_NAME, fullMask, type FieldName } from './fields.js';
import { formatFlow } from './flow.js';
import { formatMatch } from './match-format.js';
import type { FieldMatch } from './flow-parser.js';
import { formatOdpActions, type XlateResult } from './xlate.js';

/** The megaflow: the flow's values under the consulted bits. */
export function megaflowText(r: XlateResult): string {
  const m = new Map<FieldName, FieldMatch>();
  for (const [f, mask] of r.wildcards) {
    const bits = FIELD_BY_NAME.get(f)?.bits ?? 64;
    const mk = mask & fullMask(bits);
    if (mk) m.set(f, { value: r.flow[f] & mk, mask: mk });
  }
  return `recirc_id=0,${formatMatch(m)}`;
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
