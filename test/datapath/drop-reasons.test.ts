import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';
import { native } from '../../src/datapath/native.js';
import { DEF_PATH, TABLE_PATH, parseDropReasonList, renderDropReasonTable } from '../../scripts/gen-drop-reasons.js';

describe('drop reasons', () => {
  it('the generated TypeScript table is up to date with native/drop_reasons.def', () => {
    const expected = renderDropReasonTable(parseDropReasonList(readFileSync(DEF_PATH, 'utf8')));
    expect(readFileSync(TABLE_PATH, 'utf8'), 'run `npm run gen:drop-reasons`').toBe(expected);
  });

  it('the addon reports the same table', () => {
    expect(native().dropReasons()).toEqual(DROP_REASONS.map(([n, t]) => [n, t]));
  });

  it('names are unique, lowercase and start with none', () => {
    const names = DROP_REASONS.map(([n]) => n);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('none');
    for (const n of names) expect(n).toMatch(/^[a-z0-9_]+$/);
  });
});
