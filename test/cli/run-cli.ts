/**
 * Shared by the CLI tests: run `vswitch-sim` commands in process with
 * process.stdout captured.
 */
import { Command } from 'commander';
import { vi } from 'vitest';

import { main } from '../../src/cli/main.js';
import { registerTrace } from '../../src/cli/trace.js';

/** Runs `fn` with process.stdout.write captured; its result and the text it wrote. */
export async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; text: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  let result: T;
  try {
    result = await fn();
  } finally {
    spy.mockRestore();
  }
  return { result, text: chunks.join('') };
}

/** Runs `vswitch-sim ...args` through main; its exit code and stdout text. */
export async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const { result, text } = await captureStdout(() => main(args));
  return { code: result, text };
}

/** Runs `vswitch-sim trace ...args` through registerTrace alone (a commander error throws); its stdout text. */
export async function traceCli(args: string[]): Promise<string> {
  const { text } = await captureStdout(async () => {
    const p = new Command().exitOverride();
    registerTrace(p);
    await p.parseAsync(['trace', ...args], { from: 'user' });
  });
  return text;
}
