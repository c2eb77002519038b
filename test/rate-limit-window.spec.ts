import { rateLimitWindowMs } from '../lib/delivery/rate-limit-window';

/** How long each limiter (in memory, in Redis) keeps a slot after its request: the pace of `requestsPerSecond`. */
describe('rateLimitWindowMs', () => {
  it.each([
    [10, 1000],
    [10.5, 1000],
    [2.5, 1000],
    [1, 1000],
    [0.5, 2000],
    [0.001, 1_000_000],
  ])('%p requests per second: a slot is held %p ms after its request', (requestsPerSecond, windowMs) => {
    expect(rateLimitWindowMs(requestsPerSecond)).toBe(windowMs);
  });
});
