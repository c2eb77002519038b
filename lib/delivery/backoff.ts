export interface BackoffPolicy {
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before attempt `attempt + 1`: exponential from `minDelayMs`, capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half random) so that clients that failed together don't retry together.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}
