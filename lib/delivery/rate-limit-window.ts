/**
 * How long a slot stays taken after its request, with `capacity` slots (`requestsPerSecond` rounded down, at least
 * one): a whole second, so that no sliding second holds more than `capacity` requests (10.5/s allows 10), and longer
 * below 1/s, where the single slot waits `1 / requestsPerSecond` seconds.
 */
export function rateLimitWindowMs(capacity: number, requestsPerSecond: number): number {
  return Math.max(1000, (capacity * 1000) / requestsPerSecond);
}
