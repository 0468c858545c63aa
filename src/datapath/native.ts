/**
 * Loads the native addon once, lists every path it tried when the `.node`
 * file is missing, and checks that the batch layout the addon reports is the
 * one src/datapath/batch-layout.ts computes.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NativeError } from '../errors.js';
import { computeBatchLayout, type BatchLayout } from './batch-layout.js';

/** The layout the addon reports for a capacity and data size. */
export interface NativeBatchLayout {
  version: number;
  magic: number;
  headerSize: number;
  keyOffset: number;
  keySize: number;
  dataOffset: number;
  totalSize: number;
  columns: { name: string; offset: number; elementSize: number }[];
}

/** Functions the addon exports. Each js_*.cc file adds its own. */
export interface NativeAddon {
  batchLayout(capacity: number, dataSize: number): NativeBatchLayout;
  initBatch(buffer: ArrayBuffer, capacity: number, dataSize: number, headroom: number, tailroom: number): void;
  dropReasons(): [string, string][];
}

/** The repository root: the nearest folder above this file with our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string };
      if (parsed.name === 'vswitch-sim') return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new NativeError('ERR_VS_PACKAGE_ROOT', 'cannot find the vswitch-sim package root');
    dir = up;
  }
}

function candidatePaths(root: string): string[] {
  const fromEnv = process.env.VSWITCH_SIM_ADDON;
  return [
    ...(fromEnv ? [fromEnv] : []),
    join(root, 'build', 'Release', 'vswitch_native.node'),
    join(root, 'build', 'Debug', 'vswitch_native.node'),
  ];
}

let loaded: NativeAddon | undefined;

/** The addon, loaded and layout-checked on first use. */
export function native(): NativeAddon {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const tried = candidatePaths(packageRoot());
  let addon: NativeAddon | undefined;
  const failures: string[] = [];
  for (const path of tried) {
    if (!existsSync(path)) {
      failures.push(`${path} (missing)`);
      continue;
    }
    try {
      addon = require(path) as NativeAddon;
      break;
    } catch (err) {
      failures.push(`${path} (${(err as Error).message})`);
    }
  }
  if (!addon) {
    throw new NativeError(
      'ERR_VS_ADDON_MISSING',
      `the native addon is not built; run \`npm install\` (or \`npm run build:native\`). Tried:\n  ${failures.join('\n  ')}`,
    );
  }
  checkLayout(addon);
  loaded = addon;
  return addon;
}

function describeMismatch(ours: BatchLayout, theirs: NativeBatchLayout): string | undefined {
  if (ours.version !== theirs.version) return `version ${ours.version} vs ${theirs.version}`;
  if (ours.headerSize !== theirs.headerSize) return `header size ${ours.headerSize} vs ${theirs.headerSize}`;
  if (ours.keySize !== theirs.keySize) return `flow key size ${ours.keySize} vs ${theirs.keySize}`;
  if (ours.columns.length !== theirs.columns.length)
    return `${ours.columns.length} columns vs ${theirs.columns.length}`;
  for (let c = 0; c < ours.columns.length; c++) {
    const a = ours.columns[c];
    const b = theirs.columns[c];
    if (a.name !== b.name || a.offset !== b.offset || a.elementSize !== b.elementSize)
      return `column ${c}: ${a.name}@${a.offset}x${a.elementSize} vs ${b.name}@${b.offset}x${b.elementSize}`;
  }
  if (ours.keyOffset !== theirs.keyOffset) return `key offset ${ours.keyOffset} vs ${theirs.keyOffset}`;
  if (ours.dataOffset !== theirs.dataOffset) return `data offset ${ours.dataOffset} vs ${theirs.dataOffset}`;
  if (ours.totalSize !== theirs.totalSize) return `total size ${ours.totalSize} vs ${theirs.totalSize}`;
  return undefined;
}

function checkLayout(addon: NativeAddon): void {
  for (const [capacity, dataSize] of [
    [1, 0],
    [3, 1000],
    [256, 1 << 20],
  ]) {
    const mismatch = describeMismatch(computeBatchLayout(capacity, dataSize), addon.batchLayout(capacity, dataSize));
    if (mismatch) {
      throw new NativeError(
        'ERR_VS_LAYOUT_MISMATCH',
        `the native addon's batch layout differs from the TypeScript one (${mismatch}); rebuild with \`npm run build:native\``,
      );
    }
  }
}
