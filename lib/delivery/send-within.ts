import { LoopsNetworkError } from '../errors/loops-network.error';
import { LoopsShutdownError } from '../errors/loops-shutdown.error';
import type { LoopsError } from '../errors/loops.error';
import { abortWith } from '../utils/abort-with';

/** How a send that did not succeed ended. */
export interface SendFailure {
  ok: false;
  error: LoopsError;
  mayHaveBeenAccepted: boolean;
  /** What the last attempt got, when the send was cut short after it. */
  lastError?: LoopsError;
  /** Given up before the deadline, which the next attempt could not have beaten. */
  outOfTime?: true;
}

/**
 * Runs an awaited send within `sendTimeoutMs`, limiter waits, attempts and backoffs included, and the caller's
 * `signal`: resolves with the success, or throws what it failed with; a `LoopsNetworkError` with code `ETIMEDOUT` when
 * the time ran out, whatever it was spent on, or as soon as the next attempt could not start before it would: its
 * `cause` is the last attempt's error. `run` gets that time (as `performance.now()`). The error carries
 * `idempotencyKey`, when the send had one: the caller may not have chosen it, and sending again with it is what never
 * delivers twice. Cut short by `shutdown`, it throws a `LoopsShutdownError`.
 */
export async function sendWithin<TResult extends { ok: true } | SendFailure>(
  sendTimeoutMs: number,
  callerSignal: AbortSignal | undefined,
  shutdown: AbortSignal,
  what: string,
  idempotencyKey: string | undefined,
  run: (signal: AbortSignal, giveUpAt: number) => Promise<TResult>,
): Promise<Extract<TResult, { ok: true }>> {
  const giveUpAt = performance.now() + sendTimeoutMs;
  // Aborted at the deadline, or with the caller's signal (its reason kept).
  const stop = new AbortController();
  let outOfTime = false;
  const timer = setTimeout(() => {
    outOfTime = true;
    stop.abort();
  }, sendTimeoutMs);
  const unfollowCaller = callerSignal ? abortWith(callerSignal, stop) : () => undefined;
  const unfollowShutdown = abortWith(shutdown, stop);
  try {
    const result: { ok: true } | SendFailure = await run(stop.signal, giveUpAt);
    if (result.ok) return result as Extract<TResult, { ok: true }>;
    let error = result.error;
    if (stop.signal.aborted && stop.signal.reason === shutdown.reason && shutdown.aborted) {
      error = new LoopsShutdownError(`The app shut down before Loops could ${what}`, {
        cause: result.lastError ?? error,
      });
      error.mayHaveBeenAccepted = result.mayHaveBeenAccepted;
    } else if ((outOfTime || result.outOfTime) && !callerSignal?.aborted) {
      error = new LoopsNetworkError(
        `Loops did not ${what} within sendTimeoutMs (${sendTimeoutMs} ms)`,
        'ETIMEDOUT',
        result.lastError ?? error,
      );
      error.mayHaveBeenAccepted = result.mayHaveBeenAccepted;
    }
    if (idempotencyKey !== undefined) error.idempotencyKey = idempotencyKey;
    throw error;
  } finally {
    clearTimeout(timer);
    unfollowCaller();
    unfollowShutdown();
  }
}
