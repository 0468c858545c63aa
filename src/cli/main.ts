/**
 * The `vswitch-sim` command: flags and subcommands only; the work is done by
 * the library. Errors meant for users print as one line (no stack trace) and
 * give a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';

import { isUserFacingError } from '../errors.js';
import { registerDecap } from './decap.js';
import { registerEncap } from './encap.js';
import { registerInspect } from './inspect.js';
import { registerReplay } from './replay.js';
import { registerTopo } from './topo.js';
import { registerTrace } from './trace.js';
import { registerVrouter } from './vrouter.js';

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('vswitch-sim')
    .description('Userspace virtual switch and vRouter dataplane simulator')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerReplay(program);
  registerInspect(program);
  registerEncap(program);
  registerDecap(program);
  registerVrouter(program);
  registerTrace(program);
  registerTopo(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isUserFacingError(err)) {
      process.stderr.write(`vswitch-sim: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Error && 'code' in err && (err as { code: unknown }).code === 'EPIPE') return 0;
    throw err;
  }
}
