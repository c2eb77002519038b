import type { LoopsTransportResponse } from '../transport/loops-transport';

export interface BackoffPolicy {
  minDelayMs: number;
  maxDelayMs: number;
}

/** Loops counts its limit per one-second window; waiting less after a 429 is waiting in vain. */
export const RATE_LIMIT_WINDOW_MS = 1_000;

/**
 * Whether an answer says the team's window is used up (a 429, or none left): every request should then wait a window.
 * Loops counted the request somewhere between its start and the answer, so only a window from now is sure to pass it.
 */
export function usedUpRateLimitWindow(response: Pick<LoopsTransportResponse, 'status' | 'headers'>): boolean {
  return response.headers['x-ratelimit-remaining'] === '0' || response.status === 429;
}

/**
 * Delay before attempt `attempt + 1`: exponential from `minDelayMs`, capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half random) so that clients that failed together don't retry together.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * Delay before trying again after attempt `attempt` failed: the backoff; after a 429 a whole window first, the
 * jittered backoff on top keeping the clients refused together from all coming back at once. A `Retry-After`
 * from the server is a floor.
 */
export function retryDelay(
  attempt: number,
  failure: { rateLimited: boolean; retryAfterMs?: number },
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const backoff = backoffDelay(attempt, policy, random);
  const delay = failure.rateLimited ? RATE_LIMIT_WINDOW_MS + backoff : backoff;
  return Math.max(delay, failure.retryAfterMs ?? 0);
}
