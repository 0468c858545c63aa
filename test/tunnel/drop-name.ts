/** Drop reason value -> stable lowercase name, from the generated table. */
import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';

export function dropReasonName(v: number): string {
  return DROP_REASONS[v]?.[0] ?? `unknown(${v})`;
}
