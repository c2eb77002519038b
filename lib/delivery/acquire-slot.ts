import { untilAborted } from '../utils/until-aborted';
import type { LoopsRateLimiter } from './loops-rate-limiter';

/**
 * A slot of `limiter`, or the signal's reason as soon as it aborts, even from a limiter of the app's own that doesn't
 * read the signal; a slot granted after that is released at once rather than held by a request that never comes.
 */
export function acquireSlot(limiter: LoopsRateLimiter, signal: AbortSignal | undefined): Promise<() => void> {
  return untilAborted(limiter.acquire(signal), signal, (late) => late());
}
