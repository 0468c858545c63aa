/** `--in HOST:PORT=FILE` parsing. */
import { ReplayError } from './replay-error.js';

/** A capture injected at one host port. */
export interface ReplayInput {
  host: string;
  port: string;
  file: string;
}

/**
 * Parses `HOST:PORT=FILE` (the file may contain `=` and `:`; the first `=`
 * ends the port). Throws ReplayError ERR_USAGE_REPLAY_IN naming the text.
 */
export function parseReplayInput(text: string): ReplayInput {
  const eq = text.indexOf('=');
  const where = eq >= 0 ? text.slice(0, eq) : '';
  const colon = where.indexOf(':');
  const host = colon >= 0 ? where.slice(0, colon) : '';
  const port = colon >= 0 ? where.slice(colon + 1) : '';
  const file = eq >= 0 ? text.slice(eq + 1) : '';
  if (!host || !port || !file || port.includes(':'))
    throw new ReplayError('ERR_USAGE_REPLAY_IN', `--in "${text}": expected HOST:PORT=FILE.pcap, e.g. compute1:vm1=vm1.pcap`);
  return { host, port, file };
}
