import { untilAborted } from '../utils/until-aborted';
import type { LoopsRateLimiter } from './loops-rate-limiter';

/**
 * A slot of `limiter`, or the signal's reason as soon as it aborts, even from a limiter of the app's own that doesn't
 * read the signal; a slot granted after that is released at once rather than held by a request that never comes.
 * A limiter of the app's own that resolves to anything but a release function is refused here, naming the contract,
 * rather than failing later where the request is done.
 */
export async function acquireSlot(limiter: LoopsRateLimiter, signal: AbortSignal | undefined): Promise<() => void> {
  const release: unknown = await untilAborted(limiter.acquire(signal), signal, (late) => late());
  if (typeof release !== 'function') {
    throw new TypeError(
      `LoopsRateLimiter.acquire resolved to ${release === null ? 'null' : typeof release}, not a release function`,
    );
  }
  return release as () => void;
}
