import { abortableSleep } from './abortable-sleep';

/** Resolves true when `work` settles within `timeoutMs`, false otherwise (or right away without a limit). */
export async function settlesWithin(work: Promise<unknown>, timeoutMs: number | undefined): Promise<boolean> {
  const settled = work.then(
    () => true,
    () => true,
  );
  if (timeoutMs === undefined) return settled;
  const timer = new AbortController();
  const timedOut = abortableSleep(timeoutMs, timer.signal).then(
    () => false,
    () => false,
  );
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    timer.abort();
  }
}
