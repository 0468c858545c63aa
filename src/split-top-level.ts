/**
 * Splits `text` at the commas outside parentheses ("a(b,c),d" gives "a(b,c)"
 * and "d"), as OVS's flow and action texts nest. The pieces are untrimmed;
 * two commas in a row give an empty piece and empty text gives one empty
 * piece. A ")" without its "(" does not take the depth below 0. Does not
 * check that the parentheses balance (callers that require it check).
 */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, k));
      start = k + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
