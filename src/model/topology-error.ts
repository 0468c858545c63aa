/**
 * A bad topology: `path` names the offending field ("hosts[0].bridges[1].ports[2].tag")
 * and `code` is stable (ERR_TOPOLOGY_INVALID, ERR_TOPOLOGY_YAML, ERR_TOPOLOGY_REF).
 */
export class TopologyError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${path ? `${path}: ` : ''}${detail}`);
    this.name = 'TopologyError';
  }
}
