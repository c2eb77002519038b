import type { LoopsLog } from '../logging/loops-log';

/**
 * Calls into the rate limiter once a request is done: a limiter of the app's own that throws then (its store gone,
 * say) must not turn the answer Loops gave into an error, so the failure is logged and the answer stands.
 */
export function tellLimiter(log: Pick<LoopsLog, 'write'>, call: 'release' | 'pauseFor', run: () => void): void {
  try {
    run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.write('queue', `The Loops rate limiter's ${call} failed (${reason}); the request's answer stands`);
  }
}
