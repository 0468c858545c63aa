/** `--in HOST:PORT=FILE[@INTERFACE]` parsing. */
import { existsSync } from 'node:fs';

import { ReplayError } from './replay-error.js';

/** A capture (or one interface of a pcapng capture) injected at one host port. */
export interface ReplayInput {
  host: string;
  port: string;
  file: string;
  /**
   * Only the packets of this capture interface: its pcapng `if_name` (a
   * string), or its index (a number: CaptureInterface.id, counted from 0
   * across sections in the order the interfaces are described, as tshark's
   * frame.interface_id for a one-section file). Undefined: every packet.
   */
  iface?: string | number;
}

const USAGE = 'expected HOST:PORT=FILE or HOST:PORT=FILE.pcapng@INTERFACE (an if_name, or #N for the N-th interface from 0), e.g. compute1:vm1=vm1.pcap';

/**
 * Parses `HOST:PORT=FILE`, `HOST:PORT=FILE@NAME` or `HOST:PORT=FILE@#N`.
 * The first `=` ends the port (the file may contain `=` and `:`); the last
 * `@` starts the interface, unless a `/` follows it (an `@` in a directory
 * name) or FILE@... names an existing file and FILE does not (a file name
 * with `@` in it; `exists` is the check). Throws ReplayError
 * ERR_USAGE_REPLAY_IN naming the text.
 */
export function parseReplayInput(text: string, exists: (path: string) => boolean = existsSync): ReplayInput {
  const eq = text.indexOf('=');
  const where = eq >= 0 ? text.slice(0, eq) : '';
  const colon = where.indexOf(':');
  const host = colon >= 0 ? where.slice(0, colon) : '';
  const port = colon >= 0 ? where.slice(colon + 1) : '';
  let file = eq >= 0 ? text.slice(eq + 1) : '';
  if (!host || !port || !file || port.includes(':')) throw new ReplayError('ERR_USAGE_REPLAY_IN', `--in "${text}": ${USAGE}`);
  const at = file.lastIndexOf('@');
  // no @, an @ in a directory name, or a file whose name has an @
  if (at < 0 || file.includes('/', at) || (exists(file) && !exists(file.slice(0, at)))) return { host, port, file };
  const sel = file.slice(at + 1);
  file = file.slice(0, at);
  if (!file || !sel) throw new ReplayError('ERR_USAGE_REPLAY_IN', `--in "${text}": ${USAGE}`);
  if (sel.startsWith('#')) {
    const n = Number(sel.slice(1));
    if (!/^#\d+$/.test(sel) || !Number.isSafeInteger(n)) throw new ReplayError('ERR_USAGE_REPLAY_IN', `--in "${text}": interface "${sel}" is not #N with N a number from 0`);
    return { host, port, file, iface: n };
  }
  return { host, port, file, iface: sel };
}

/** How an input's interface is written in `--in` (`@eth0`, `@#1`), or '' for a whole capture. */
export function ifaceSuffix(iface: string | number | undefined): string {
  return iface === undefined ? '' : typeof iface === 'number' ? `@#${iface}` : `@${iface}`;
}
