/**
 * Reads DOT back through Graphviz itself (@viz-js/viz, `json` output after
 * layout): clusters, nodes and edges with the text lines Graphviz draws for
 * their labels (`_ldraw_` text operations, entities decoded). Tests compare
 * these with values listed by hand from the topology YAML, so a DOT quoting
 * or escaping mistake shows as a parse failure or a wrong line.
 */
import { instance } from '@viz-js/viz';

export interface GvNode {
  name: string;
  lines: string[];
  attrs: Record<string, string>;
  /** Cluster names from the outermost to the innermost holding the node. */
  clusters: string[];
}

export interface GvCluster {
  name: string;
  lines: string[];
  /** Enclosing cluster names, outermost first. */
  parents: string[];
}

export interface GvEdge {
  tail: string;
  head: string;
  lines: string[];
  attrs: Record<string, string>;
}

export interface GvGraph {
  clusters: Map<string, GvCluster>;
  nodes: Map<string, GvNode>;
  edges: GvEdge[];
}

interface DrawOp {
  op: string;
  text?: string;
}

interface JsonObject {
  name: string;
  _gvid: number;
  nodes?: number[];
  subgraphs?: number[];
  _ldraw_?: DrawOp[];
  [k: string]: unknown;
}

interface JsonEdge {
  tail: number;
  head: number;
  _ldraw_?: DrawOp[];
  [k: string]: unknown;
}

const texts = (ops: DrawOp[] | undefined): string[] => (ops ?? []).filter((o) => o.op === 'T' && o.text !== undefined).map((o) => o.text!);

function attrsOf(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Lays the DOT out with Graphviz and returns what it understood; throws with Graphviz's messages when it cannot. */
export async function readWithGraphviz(dot: string): Promise<GvGraph> {
  const viz = await instance();
  const r = viz.render(dot, { format: 'json' });
  if (r.status !== 'success') throw new Error(`graphviz rejected the DOT: ${r.errors.map((e) => e.message).join('; ')}`);
  const g = JSON.parse(r.output) as { objects: JsonObject[]; edges?: JsonEdge[]; _subgraph_cnt: number };
  const nSub = g._subgraph_cnt;
  const subs = g.objects.slice(0, nSub);
  const parents = new Map<number, number[]>();
  const walk = (id: number, path: number[]): void => {
    parents.set(id, path);
    for (const s of subs[id].subgraphs ?? []) walk(s, [...path, id]);
  };
  const childIds = new Set(subs.flatMap((s) => s.subgraphs ?? []));
  subs.forEach((s) => {
    if (!childIds.has(s._gvid)) walk(s._gvid, []);
  });
  const clusters = new Map<string, GvCluster>();
  for (const s of subs) clusters.set(s.name, { name: s.name, lines: texts(s._ldraw_), parents: (parents.get(s._gvid) ?? []).map((p) => subs[p].name) });
  const nodes = new Map<string, GvNode>();
  for (const o of g.objects.slice(nSub)) {
    // the innermost cluster holding the node is the one with the longest parent chain
    const holders = subs.filter((s) => s.nodes?.includes(o._gvid)).sort((a, b) => (parents.get(a._gvid)?.length ?? 0) - (parents.get(b._gvid)?.length ?? 0));
    nodes.set(o.name, { name: o.name, lines: texts(o._ldraw_), attrs: attrsOf(o), clusters: holders.map((h) => h.name) });
  }
  const byId = new Map(g.objects.map((o) => [o._gvid, o.name]));
  const edges = (g.edges ?? []).map((e) => ({ tail: byId.get(e.tail)!, head: byId.get(e.head)!, lines: texts(e._ldraw_), attrs: attrsOf(e) }));
  return { clusters, nodes, edges };
}
