import { LoopsRateLimiter } from './loops-rate-limiter';

const release = (): void => undefined;

/** `rateLimit: false`: every request goes at once, and a 429 is only retried. */
export class UnlimitedRateLimiter extends LoopsRateLimiter {
  acquire(signal?: AbortSignal): Promise<() => void> {
    return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve(release);
  }

  pauseFor(): void {}
}
