import Redis from 'ioredis';
import { RedisRateLimiter } from '../../lib/delivery/redis-rate-limiter';
import { RedisTestServer } from '../support/redis-server';
import { describeWithRedis } from '../support/with-redis';

describeWithRedis('RedisRateLimiter', () => {
  let redisServer: RedisTestServer;
  let redis: Redis;
  beforeAll(async () => {
    redisServer = await RedisTestServer.start();
    redis = new Redis(redisServer.connection);
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.stop();
  });

  it('a wait given up while Redis was not answering leaves no slot taken once Redis runs the request', async () => {
    const limiter = new RedisRateLimiter(redis, 'given-up', 1, 10_000);
    const controller = new AbortController();
    redisServer.pause();
    const waiting = limiter.acquire(controller.signal).catch((reason: unknown) => reason);
    controller.abort(new Error('gave up'));
    expect(await waiting).toEqual(new Error('gave up'));
    redisServer.resume();
    // Answered after the acquire script sent before the abort, on the same connection.
    await redis.ping();
    expect(await redis.zcard('given-up:rate-limit')).toBe(0);
    // Had the slot stayed taken, it would be held for the attempt timeout (10 s) and a window.
    const release = await limiter.acquire(AbortSignal.timeout(3_000));
    release();
  });

  it('pauseFor holds back the next slot, for every instance sharing the prefix', async () => {
    // After a 429 (or x-ratelimit-remaining: 0), no instance may keep sending into Loops' exhausted window.
    const pausing = new RedisRateLimiter(redis, 'paused', 100, 10_000);
    const other = new RedisRateLimiter(redis, 'paused', 100, 10_000);
    pausing.pauseFor(600);
    await redis.ping(); // the pause script ran: commands on one connection run in order
    const started = performance.now();
    const release = await other.acquire(AbortSignal.timeout(3_000));
    release();
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
  });
});
