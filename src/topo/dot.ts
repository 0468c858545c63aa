/**
 * Graphviz DOT text of a TopologyGraph: hosts, bridges and VRFs as nested
 * clusters, nodes with HTML-like labels (bold title, smaller detail lines),
 * one shape and colour per node kind (docs/topo.md has the legend), patch
 * pairs dashed, tunnels bold blue and left out of the layout's ranking
 * (constraint=false) so hosts stay side by side above the underlay.
 *
 * Every piece of text from the topology is escaped: labels as XML text
 * (& < > " '), ids as quoted DOT strings (\ and "), control characters
 * shown as \xNN. Output is deterministic for a given graph.
 */
import type { TopoCluster, TopoEdge, TopoEdgeKind, TopoNode, TopoNodeKind, TopologyGraph } from './topology-graph.js';

/** Node attributes (besides the label) per kind. */
const NODE_STYLE: Record<TopoNodeKind, string> = {
  tap: 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
  vm: 'shape=box3d, style=filled, fillcolor="#fff4c2"',
  internal: 'shape=box, style="rounded,filled,dashed", fillcolor="#f2f2f2"',
  system: 'shape=box, style=filled, fillcolor="#e3f1e3"',
  nic: 'shape=box, style=filled, fillcolor="#c9e7c9", peripheries=2',
  patch: 'shape=box, style="rounded,filled", fillcolor="#ececec"',
  tunnel: 'shape=cds, style=filled, fillcolor="#d6e6fb", margin="0.2,0.1"',
  vif: 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
  vhost: 'shape=box, style="rounded,filled", fillcolor="#e8e0f5"',
  agent: 'shape=box, style="rounded,filled", fillcolor="#ececec"',
  vrf: 'shape=folder, style=filled, fillcolor="#fde3cf"',
  fabric: 'shape=ellipse, style=filled, fillcolor="#d9d9d9", penwidth=2',
  remote: 'shape=ellipse, style="dashed"',
};

const CLUSTER_STYLE: Record<TopoCluster['kind'], string> = {
  host: 'style="rounded,bold", color="#555555", bgcolor="#fbfbfb"',
  bridge: 'style="rounded,filled", color="#7a9cc6", fillcolor="#eef3fa"',
  vrf: 'style="rounded,filled", color="#d9a066", fillcolor="#fdf5ec"',
};

const EDGE_STYLE: Record<TopoEdgeKind, string> = {
  attach: 'color="#666666"',
  patch: 'style=dashed, color="#444444"',
  via: 'style=dotted, color="#888888", arrowhead=vee',
  tunnel: 'color="#1f5fbf", penwidth=2, fontcolor="#1f5fbf", constraint=false',
  underlay: 'color="#2e7d32", penwidth=1.5',
};

/** Control characters made visible (they are not allowed in Graphviz's XML labels). */
const visible = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Text for a Graphviz HTML-like label (XML character data). */
export function escapeLabelText(s: string): string {
  return visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A quoted DOT id. */
export function quoteId(s: string): string {
  return `"${visible(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function htmlLabel(title: string | undefined, details: readonly string[], detailSize = 9): string {
  const lines: string[] = [];
  if (title !== undefined) lines.push(`<b>${escapeLabelText(title)}</b>`);
  for (const d of details) lines.push(`<font point-size="${detailSize}">${escapeLabelText(d)}</font>`);
  return `<${lines.join('<br/>')}>`;
}

function nodeLine(n: TopoNode, indent: string): string {
  return `${indent}${quoteId(n.id)} [${NODE_STYLE[n.kind]}, label=${htmlLabel(n.title, n.details)}];`;
}

function clusterLines(c: TopoCluster, indent: string, out: string[]): void {
  out.push(`${indent}subgraph ${quoteId(`cluster:${c.id}`)} {`);
  const inner = `${indent}  `;
  out.push(`${inner}graph [${CLUSTER_STYLE[c.kind]}, label=${htmlLabel(c.title, c.details, 10)}];`);
  for (const n of c.nodes) out.push(nodeLine(n, inner));
  for (const sub of c.clusters) clusterLines(sub, inner, out);
  out.push(`${indent}}`);
}

function edgeLine(e: TopoEdge): string {
  const attrs = [EDGE_STYLE[e.kind], e.both ? 'dir=both' : e.kind === 'tunnel' || e.kind === 'via' ? 'dir=forward' : 'dir=none'];
  if (e.label.length) attrs.push(`label=${htmlLabel(undefined, e.label)}`);
  return `  ${quoteId(e.from)} -> ${quoteId(e.to)} [${attrs.join(', ')}];`;
}

/** The DOT text of a topology graph (a `digraph` named "topology"). */
export function topologyDot(g: TopologyGraph): string {
  const out: string[] = [];
  out.push('digraph "topology" {');
  out.push('  graph [compound=true, newrank=true, rankdir=TB, nodesep=0.25, ranksep=0.4, fontname="Helvetica", fontsize=11];');
  out.push('  node [fontname="Helvetica", fontsize=10, margin="0.12,0.05"];');
  out.push('  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];');
  for (const c of g.clusters) clusterLines(c, '  ', out);
  for (const n of g.nodes) out.push(nodeLine(n, '  '));
  for (const e of g.edges) out.push(edgeLine(e));
  out.push('}');
  return out.join('\n') + '\n';
}
