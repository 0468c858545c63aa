/**
 * Headless Debian Chromium as the judge of an HTML page: it loads the file,
 * and we get the DOM after parsing (--dump-dom) and every console message
 * (--enable-logging=stderr: lines with ":CONSOLE", which is where Content
 * Security Policy violations, failed loads and script errors are reported).
 * A missing /usr/bin/chromium fails the test with a clear message (CI
 * installs Debian's chromium package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

export interface ChromiumLoad {
  status: number | null;
  dom: string;
  /** Console messages (one per line) Chromium logged while loading. */
  console: string[];
  stderr: string;
}

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the HTML report test loads the page in headless Debian Chromium (apt-get install chromium)`);
}

/** Loads `file` in headless Chromium (own profile directory, removed afterwards). */
export function loadInChromium(file: string): ChromiumLoad {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'vs-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM,
      ['--headless', '--disable-gpu', '--no-sandbox', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--dump-dom', pathToFileURL(file).href],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 },
    );
    if (r.error) throw r.error;
    const stderr = r.stderr ?? '';
    return { status: r.status, dom: r.stdout ?? '', console: stderr.split('\n').filter((l) => l.includes(':CONSOLE')), stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
