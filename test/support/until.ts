import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for `check` to hold, polling: for a state the test cannot be told about by an event. The limit only stops
 * a test that would wait forever; it is never what the test measures.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still waiting, after ${limitMs} ms, for ${what}`);
    await sleep(20);
  }
}
