/**
 * A replay that cannot start because of how it was asked for: a malformed
 * `--in`, an unknown host or port, an input of a link type the hosts cannot
 * take, an output directory that cannot be made. The message is one line
 * meant for the user; `code` is stable (ERR_USAGE_REPLAY_IN,
 * ERR_USAGE_REPLAY_HOST, ERR_USAGE_REPLAY_LINKTYPE, ERR_USAGE_REPLAY_OUT).
 */
export class ReplayError extends Error {
  constructor(
    readonly code: 'ERR_USAGE_REPLAY_IN' | 'ERR_USAGE_REPLAY_HOST' | 'ERR_USAGE_REPLAY_LINKTYPE' | 'ERR_USAGE_REPLAY_OUT',
    message: string,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}
