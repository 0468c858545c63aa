import { describe, expect, it } from 'vitest';

import { splitTopLevel } from '../src/split-top-level.js';

// Expected pieces written by hand from the contract in src/split-top-level.ts.
describe('splitTopLevel', () => {
  it('splits at commas outside parentheses only, pieces untrimmed', () => {
    expect(splitTopLevel('a(b,c),d')).toEqual(['a(b,c)', 'd']);
    expect(splitTopLevel('set(eth(src=1,dst=2)), 3 ,x')).toEqual(['set(eth(src=1,dst=2))', ' 3 ', 'x']);
  });

  it('keeps empty pieces and gives one piece for empty text', () => {
    expect(splitTopLevel('')).toEqual(['']);
    expect(splitTopLevel('a,,b,')).toEqual(['a', '', 'b', '']);
  });

  it('a stray ")" does not go below depth 0: the next comma still splits', () => {
    expect(splitTopLevel('a),b')).toEqual(['a)', 'b']);
    expect(splitTopLevel('(a,b')).toEqual(['(a,b']);
  });
});
