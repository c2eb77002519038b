import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let exposedGc: (() => void) | undefined;

/**
 * `global.gc` when node runs with `--expose-gc` (as `npm run test:soak` does); otherwise V8 is asked for
 * it at run time, so that a plain `npx jest` still measures settled heaps rather than garbage.
 */
function gc(): () => void {
  const global = (globalThis as { gc?: () => void }).gc;
  if (global) return global;
  if (!exposedGc) {
    setFlagsFromString('--expose-gc');
    exposedGc = runInNewContext('gc') as () => void;
  }
  return exposedGc;
}

/** `heapUsed` after full collections, in bytes. */
export async function settledHeapUsed(): Promise<number> {
  const collect = gc();
  for (let round = 0; round < 3; round++) {
    collect();
    // Lets finalizers and closed sockets' callbacks run between collections.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Whether the run has `--expose-gc` (the figure is then taken the documented way). */
export function gcExposedByNode(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

export const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
