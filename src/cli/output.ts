/** Writing command output to stdout with back-pressure, stopping quietly when the reader goes away (`| head`). */

let closed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') closed = true;
  else throw err;
});

/** Writes one line; resolves to false once stdout is closed. */
export async function writeLine(line: string): Promise<boolean> {
  if (closed) return false;
  if (!process.stdout.write(line + '\n')) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        process.stdout.off('drain', done);
        process.stdout.off('error', done);
        resolve();
      };
      process.stdout.once('drain', done);
      process.stdout.once('error', done);
    });
  }
  return !closed;
}
