/**
 * Topology pictures: a host-kind-neutral graph of a topology, its Graphviz
 * DOT text and its SVG (Graphviz as WebAssembly, no system Graphviz).
 *
 *   const svg = await renderSvg(topologyDot(loadTopologyGraph('topo.yaml')));
 */
export { topologyGraph, loadTopologyGraph, tunnelIdsInFlows, FABRIC_NODE_ID, type TopologyGraph, type TopoCluster, type TopoNode, type TopoEdge, type TopoNodeKind, type TopoEdgeKind, type TopoClusterKind } from './topology-graph.js';
export { topologyDot, escapeLabelText, quoteId } from './dot.js';
export { renderSvg, svgElement, graphvizVersion } from './svg.js';
