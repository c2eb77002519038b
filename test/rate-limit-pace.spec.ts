import { rateLimitSlots, rateLimitWindowMs } from '../lib/delivery/rate-limit-pace';

/** The pace every limiter keeps (in memory, in Redis, BullMQ's pick-up): slots per second, and how long each is held. */
describe('the rate limit pace', () => {
  it.each([
    [10, 10, 1000],
    [10.5, 10, 1000],
    [2.5, 2, 1000],
    [1, 1, 1000],
    [0.5, 1, 2000],
    [0.001, 1, 1_000_000],
  ])('%p requests per second: %p slots, each held %p ms after its request', (requestsPerSecond, slots, windowMs) => {
    expect(rateLimitSlots(requestsPerSecond)).toBe(slots);
    expect(rateLimitWindowMs(requestsPerSecond)).toBe(windowMs);
  });
});
