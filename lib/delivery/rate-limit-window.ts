/**
 * How long a slot stays taken after its request, the slots being `requestsPerSecond` rounded down (at least one): a
 * whole second, so that no sliding second holds more requests than there are slots (10.5/s allows 10), and
 * `1 / requestsPerSecond` seconds below 1/s, where the single slot sets the pace.
 */
export function rateLimitWindowMs(requestsPerSecond: number): number {
  return Math.max(1000, 1000 / requestsPerSecond);
}
