/**
 * Writes a whole text file under a temporary name in the target directory
 * and renames it over the target, as the pcap outputs are written: a reader
 * never sees a half-written file under the final name, and a failure
 * removes the temporary file. Failures become an OutputFileError (one line
 * naming the file, code ERR_USAGE_OUTPUT_FILE).
 */
import { randomBytes } from 'node:crypto';
import { access, constants, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** An output file that cannot be written; the message names it. */
export class OutputFileError extends Error {
  readonly code = 'ERR_USAGE_OUTPUT_FILE';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: cannot write: ${detail}`);
    this.name = 'OutputFileError';
  }
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    throw new OutputFileError(file, e.code ? `${e.code} (${e.syscall ?? 'write'})` : String(e.message ?? err));
  }
}

/** Fails now, with the same one-line error, when `file`'s directory cannot take it (checked before a long run). */
export async function checkOutputFile(file: string): Promise<void> {
  try {
    await access(dirname(file), constants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new OutputFileError(file, e.code ? `${e.code} (its directory)` : String(e.message ?? err));
  }
}
