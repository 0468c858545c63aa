/**
 * Writes a whole text file under a temporary name in the target directory
 * and renames it over the target, as the pcap outputs are written: a reader
 * never sees a half-written file under the final name, and a failure
 * removes the temporary file. Missing parent directories are made. Failures become an OutputFileError (one line
 * naming the file, code ERR_USAGE_OUTPUT_FILE).
 */
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
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
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    throw new OutputFileError(file, e.code ? `${e.code} (${e.syscall ?? 'write'})` : String(e.message ?? err));
  }
}

/**
 * Fails now, with the same one-line error, when `file` could not be written
 * later (checked before a long run): its nearest existing ancestor must be a
 * writable directory (the missing ones are made when it is written).
 */
export async function checkOutputFile(file: string): Promise<void> {
  let dir = dirname(file);
  for (;;) {
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) throw new OutputFileError(file, `ENOTDIR (${dir} is not a directory)`);
      await access(dir, constants.W_OK);
      return;
    } catch (err) {
      if (err instanceof OutputFileError) throw err;
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' && dirname(dir) !== dir) {
        dir = dirname(dir);
        continue;
      }
      throw new OutputFileError(file, e.code ? `${e.code} (${dir})` : String(e.message ?? err));
    }
  }
}
