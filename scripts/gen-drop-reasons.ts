/**
 * Generates src/datapath/drop-reasons.ts from native/drop_reasons.def, the one
 * list of drop reasons. Run `npm run gen:drop-reasons` after editing the list;
 * test/datapath/drop-reasons.test.ts fails while the two differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** [symbol, text] pairs in enum order. */
export function parseDropReasonList(def: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /^X\(([A-Z0-9_]+),\s*"((?:[^"\\]|\\.)*)"\)\s*$/;
  for (const line of def.split('\n')) {
    const m = re.exec(line.trim());
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

export function renderDropReasonTable(entries: [string, string][]): string {
  const rows = entries.map(([sym, text]) => `  [${JSON.stringify(sym.toLowerCase())}, ${JSON.stringify(text)}],`).join('\n');
  return `// Generated from native/drop_reasons.def by scripts/gen-drop-reasons.ts. Do not edit.

/** [stable name, report text], indexed by the native DropReason value. */
export const DROP_REASONS = [
${rows}
] as const;

export type DropReasonName = (typeof DROP_REASONS)[number][0];

/** The DropReason value of a stable name. */
export const DROP_REASON_CODE: Readonly<Record<DropReasonName, number>> = Object.fromEntries(
  DROP_REASONS.map(([name], code) => [name, code]),
) as Record<DropReasonName, number>;

/** The stable name of a DropReason value ("unknown_<n>" outside the table). */
export function dropReasonName(code: number): string {
  return DROP_REASONS[code]?.[0] ?? \`unknown_\${code}\`;
}
`;
}

export const DEF_PATH = join(root, 'native', 'drop_reasons.def');
export const TABLE_PATH = join(root, 'src', 'datapath', 'drop-reasons.ts');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(TABLE_PATH, renderDropReasonTable(parseDropReasonList(readFileSync(DEF_PATH, 'utf8'))));
  console.log(`wrote ${TABLE_PATH}`);
}
