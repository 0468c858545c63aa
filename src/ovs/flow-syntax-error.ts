/**
 * The error for bad ovs-ofctl flow text: says which token is wrong, with a
 * 1-based column and a caret under it (stable code ERR_TOPOLOGY_FLOW_SYNTAX, so the CLI prints it as a user error).
 */
export class FlowSyntaxError extends Error {
  readonly code = 'ERR_TOPOLOGY_FLOW_SYNTAX';
  constructor(
    readonly reason: string,
    readonly text: string,
    /** 1-based column of the bad token in `text`. */
    readonly column: number,
  ) {
    super(`${reason} (column ${column})\n  ${text}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
    this.name = 'FlowSyntaxError';
  }
}
