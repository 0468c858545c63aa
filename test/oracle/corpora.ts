/** Where the shared corpora and the project's own captures live, for oracle tests. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { packageRoot } from '../../src/datapath/native.js';

export const ROOT = packageRoot();
export const CORPORA = join(ROOT, '..', 'shared', 'corpora');
export const PCAPS = join(ROOT, 'pcaps');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Every .pcap/.pcapng file of the shared corpora; throws when the corpora are missing. */
export function corpusFiles(): string[] {
  if (!existsSync(CORPORA)) throw new Error(`the shared corpora are missing: expected them at ${CORPORA}`);
  return walk(CORPORA).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
}

/** Every capture shipped in pcaps/. */
export function shippedCaptures(): string[] {
  return existsSync(PCAPS) ? walk(PCAPS).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];
}

export const shortName = (file: string): string => relative(join(ROOT, '..'), file);
