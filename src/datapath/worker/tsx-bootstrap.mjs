// Loads the TypeScript PMD worker when running from sources (vitest, tsx):
// registers tsx's loader in this worker thread, then re-exports the handler.
// From the compiled package (dist/), the pool loads pmd-worker.js directly.
import { register } from 'tsx/esm/api';

register();
const mod = await import(new URL('./pmd-worker.ts', import.meta.url).href);
export const handle = mod.handle;
