/**
 * SVG of DOT text, rendered by Graphviz compiled to WebAssembly
 * (@viz-js/viz): no system Graphviz needed. The Graphviz instance is made
 * once per process and reused.
 */
import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/** The Graphviz version that renders (e.g. "12.2.1"). */
export async function graphvizVersion(): Promise<string> {
  viz ??= instance();
  return (await viz).graphvizVersion;
}

/**
 * Renders DOT to a standalone SVG document (dot layout). Throws an Error
 * listing Graphviz's messages when the text is not valid DOT: for DOT made
 * by topologyDot() that is a bug, not a user error.
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const r = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (r.status !== 'success') throw new Error(`graphviz could not render the DOT text: ${r.errors.map((e) => e.message.trim()).join('; ')}`);
  return r.output;
}

/** The `<svg>` element of an SVG document, without the XML prolog, DOCTYPE and comments before it (for inlining in HTML). */
export function svgElement(svg: string): string {
  const at = svg.indexOf('<svg');
  if (at < 0) throw new Error('not an SVG document: no <svg> element');
  return svg.slice(at);
}
