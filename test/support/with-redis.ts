import { RedisTestServer } from './redis-server';

const available = RedisTestServer.isAvailable();
if (!available && process.env.CI) {
  throw new Error('redis-server is required in CI for the tests that use Redis (.ci/run installs it)');
}
if (!available) {
  console.warn(
    '\n*** redis-server is not installed: the tests that use Redis are SKIPPED. apt-get install redis-server ***\n',
  );
}

/** `describe`, or `describe.skip` with a loud warning where redis-server is missing (never in CI). */
export const describeWithRedis = available ? describe : describe.skip;

/** `it` likewise, for a Redis case in a file whose other cases need no Redis. */
export const itWithRedis = available ? it : it.skip;
