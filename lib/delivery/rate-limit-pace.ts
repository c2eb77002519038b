/** How many requests may be in one sliding second: `requestsPerSecond` rounded down (10.5/s allows 10), at least one. */
export function rateLimitSlots(requestsPerSecond: number): number {
  return Math.max(1, Math.floor(requestsPerSecond));
}

/**
 * How long a slot stays taken after its request: a whole second, so that no sliding second holds more requests than
 * there are slots, and `1 / requestsPerSecond` seconds below 1/s, where the single slot sets the pace.
 */
export function rateLimitWindowMs(requestsPerSecond: number): number {
  return Math.max(1000, 1000 / requestsPerSecond);
}
