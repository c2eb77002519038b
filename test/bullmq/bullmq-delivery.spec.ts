import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { firstValueFrom, filter } from 'rxjs';
import {
  LoopsApiError,
  type LoopsDeliveryOutcome,
  type LoopsFailedOutcome,
  type LoopsModuleOptions,
  LoopsQueueUnavailableError,
  type SendEventInput,
} from '../../lib';
import { expectDeliveredExactlyOnce } from '../support/exactly-once';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from '../support/loops-testing-app';
import { newWebhookSecret } from '../webhooks/support/webhook-test-app';
import { LoopsCompatibleServer } from '../support/loops-server';
import { RedisTestServer, freePort } from '../support/redis-server';
import { compileFailingAfterLoops } from '../support/compile-failing-after-loops';
import { describeWithRedis } from '../support/with-redis';

const event = (index: number): SendEventInput => ({ eventName: 'bulk', userId: `user-${index}` });

describeWithRedis('BullMQ delivery', () => {
  let redis: RedisTestServer;
  let server: LoopsCompatibleServer;
  const apps: LoopsTestingApp[] = [];
  let queueName: string;

  async function instance(options: Partial<LoopsModuleOptions> = {}): Promise<LoopsTestingApp> {
    const testing = await createLoopsTestingApp(server, {
      delivery: { queue: 'bullmq', connection: redis.connection, queueName, lockDurationMs: 1_000 },
      ...options,
    });
    apps.push(testing);
    return testing;
  }

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    queueName = `loops-test-${Math.random().toString(36).slice(2)}`;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((testing) => testing.app.close()));
    await server.close();
  });

  it('two instances deliver 300 events exactly once, never over the shared 20/s limit', async () => {
    server.rateLimitPerSecond = 20;
    const options = { rateLimit: { requestsPerSecond: 20 }, queue: { concurrency: 8 } };
    const [first, second] = await Promise.all([instance(options), instance(options)]);
    const keys = await Promise.all(
      Array.from({ length: 300 }, (_, index) => (index % 2 ? first : second).loops.enqueueEventAsync(event(index))),
    );
    await first.loops.flush();
    expect(keys).toHaveLength(300);
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `user-${index}`),
    );
    expect(server.eventRequests().filter((request) => request.status === 429)).toHaveLength(0);
    expect(server.maxInAnyWindow(1_000)).toBeLessThanOrEqual(20);
  }, 60_000);

  it('a fractional rate, 2.5/s, lets at most 2 requests of the shared limiter into any second', async () => {
    const testing = await instance({ rateLimit: { requestsPerSecond: 2.5 }, queue: { concurrency: 8 } });
    const keys = await Promise.all(
      Array.from({ length: 6 }, (_, index) => testing.loops.enqueueEventAsync(event(index))),
    );
    await testing.loops.flush();
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `user-${index}`),
    );
    expect(server.maxInAnyWindow(1_000)).toBeLessThanOrEqual(2);
  }, 30_000);

  it("keeps the rate limit under the delivery's prefix too: apps with other prefixes have limits of their own", async () => {
    const prefix = `loops-${queueName}`;
    const testing = await instance({
      rateLimit: {},
      delivery: { queue: 'bullmq', connection: redis.connection, queueName, prefix, lockDurationMs: 1_000 },
    });
    await testing.loops.enqueueEventAsync(event(1));
    await testing.loops.flush();
    const client = new Redis(redis.connection);
    try {
      expect(await client.keys(`${prefix}:${queueName}:rate-limit*`)).not.toEqual([]);
      expect(await client.keys(`*${queueName}*`)).toEqual(expect.arrayContaining([`${prefix}:${queueName}:meta`]));
      expect((await client.keys(`*${queueName}*`)).filter((key) => !key.startsWith(`${prefix}:`))).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('enqueueing the same key twice makes one job and one delivery', async () => {
    const testing = await instance();
    await testing.loops.enqueueEventAsync(event(1), { idempotencyKey: 'order:42' });
    await testing.loops.enqueueEventAsync(event(1), { idempotencyKey: 'order:42' });
    await testing.loops.flush();
    expect(server.eventRequests()).toHaveLength(1);
    expectDeliveredExactlyOnce(server, ['user-1']);
  });

  it('keys that differ only in how a colon is written make two jobs and two deliveries', async () => {
    const testing = await instance();
    // Job ids escape ':' (BullMQ's separator) as %3a, and so escape '%' too: else these two would share a job.
    await testing.loops.enqueueEventAsync(event(1), { idempotencyKey: 'order:42' });
    await testing.loops.enqueueEventAsync(event(2), { idempotencyKey: 'order%3a42' });
    await testing.loops.flush();
    expectDeliveredExactlyOnce(server, ['user-1', 'user-2']);
  });

  it('an instance that stops mid-drain without draining leaves the rest to another instance', async () => {
    server.respondWith(() => ({ kind: 'delay', ms: 50 }));
    const stopping = await instance({ shutdownTimeoutMs: 0, queue: { concurrency: 2 } });
    const keys = await Promise.all(
      Array.from({ length: 40 }, (_, index) => stopping.loops.enqueueEventAsync(event(index))),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    await stopping.app.close();
    apps.splice(apps.indexOf(stopping), 1);
    const deliveredBeforeStop = server.accepted.length;
    expect(deliveredBeforeStop).toBeLessThan(40);
    // Stopped, it reads Redis no more: a flush() from a shutdown hook that runs later says so instead of hanging.
    await expect(stopping.loops.flush()).resolves.toBe(false);

    const taking = await instance({ queue: { concurrency: 4 } });
    await taking.loops.flush();
    expect(keys).toHaveLength(40);
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `user-${index}`),
    );
    const queue = new Queue(queueName, { connection: redis.connection });
    expect(await queue.getJobCounts('failed', 'completed')).toEqual({ failed: 0, completed: 40 });
    await queue.close();
  }, 30_000);

  it('enqueueing a key again retries its failed job, and reports a delivered one as deduplicated', async () => {
    const testing = await instance({ retry: false });
    const outcomes: LoopsDeliveryOutcome[] = [];
    testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
    server.script({ kind: 'status', status: 503 });
    await testing.loops.enqueueEventAsync(event(1), { idempotencyKey: 'retry-me' });
    await testing.loops.flush();
    expect(server.acceptedCount('retry-me')).toBe(0);

    await testing.loops.enqueueEventAsync(event(1), { idempotencyKey: 'retry-me' });
    await testing.loops.flush();
    expect(server.acceptedCount('retry-me')).toBe(1);

    await testing.loops.enqueueEventAsync(event(1), { idempotencyKey: 'retry-me' });
    await testing.loops.flush();
    expect(server.eventRequests()).toHaveLength(2);
    expect(
      outcomes.map((outcome) => ({
        status: outcome.status,
        deduplicated: outcome.status === 'sent' && outcome.deduplicated,
      })),
    ).toEqual([
      { status: 'failed', deduplicated: false },
      { status: 'sent', deduplicated: false },
      { status: 'sent', deduplicated: true },
    ]);
  });

  it('a job that fails its last attempt stays in the failed set with the reason, and reaches deliveries$', async () => {
    const testing = await instance({ retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 5 } });
    server.respondWith(() => ({ kind: 'status', status: 400, body: { success: false, message: 'Unknown contact' } }));
    const failed = firstValueFrom(
      testing.loops.deliveries$.pipe(filter((outcome: LoopsDeliveryOutcome) => outcome.status === 'failed')),
    );
    const key = await testing.loops.enqueueEventAsync(event(1));
    await expect(failed).resolves.toMatchObject({ idempotencyKey: key, attempts: 1, error: expect.any(LoopsApiError) });
    await testing.loops.flush();
    const queue = new Queue(queueName, { connection: redis.connection });
    const jobs = await queue.getFailed();
    expect(jobs.map((job) => job.failedReason)).toEqual(['Loops answered 400: Unknown contact']);
    await queue.close();
  });

  it('with Redis down, enqueueEventAsync fails with a clear error instead of waiting for it', async () => {
    const testing = await createLoopsTestingApp(server, {
      delivery: {
        queue: 'bullmq',
        connection: { host: '127.0.0.1', port: await freePort() },
        queueName,
        enqueueTimeoutMs: 500,
      },
    });
    apps.push(testing);
    // A hang would meet the test's own timeout; how long a refusal takes is the bench's business, not this test's.
    const error = await testing.loops.enqueueEventAsync(event(1)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsQueueUnavailableError);
    expect((error as Error).message).toMatch(/it was not queued/);

    await expect(testing.loops.flush(300)).resolves.toBe(false);

    const reported = firstValueFrom(testing.loops.deliveries$);
    const key = testing.loops.enqueueEvent(event(2));
    await expect(reported).resolves.toMatchObject({
      status: 'failed',
      idempotencyKey: key,
      error: expect.any(LoopsQueueUnavailableError),
    });
    expect(server.requests).toHaveLength(0);
  }, 15_000);

  it("with Redis down, an awaited send fails as queue unavailable and the rate limit's Redis error is logged", async () => {
    const testing = await createLoopsTestingApp(server, {
      rateLimit: { requestsPerSecond: 10 },
      delivery: { queue: 'bullmq', connection: { host: '127.0.0.1', port: await freePort() }, queueName },
    });
    apps.push(testing);

    await expect(testing.loops.sendEvent(event(1))).rejects.toBeInstanceOf(LoopsQueueUnavailableError);

    expect(testing.logger.texts('error')).toContainEqual(
      expect.stringMatching(/^Redis \(Loops rate limit\): .*ECONNREFUSED/),
    );
    expect(server.requests).toHaveLength(0);
  }, 15_000);

  it('with Redis down at shutdown, an event whose add never reached it is reported failed, as not queued', async () => {
    const testing = await createLoopsTestingApp(server, {
      shutdownTimeoutMs: 200,
      delivery: {
        queue: 'bullmq',
        connection: { host: '127.0.0.1', port: await freePort() },
        queueName,
        enqueueTimeoutMs: 60_000,
      },
    });
    const outcomes: LoopsDeliveryOutcome[] = [];
    testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
    const key = testing.loops.enqueueEvent(event(1));
    await testing.app.close();
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'failed', idempotencyKey: key, mayHaveBeenAccepted: false }),
    ]);
    expect((outcomes[0] as LoopsFailedOutcome).error.message).toContain(
      'the app shut down before Redis acknowledged it; it was not queued',
    );
    expect(server.requests).toHaveLength(0);
  }, 15_000);

  it("an app whose compile fails after the module's providers were built leaves no connection to Redis open", async () => {
    const before = await redis.connectedClients();
    await compileFailingAfterLoops({
      apiKey: TEST_API_KEY,
      baseUrl: server.baseUrl,
      delivery: { queue: 'bullmq', connection: redis.connection, queueName },
      webhooks: { secret: newWebhookSecret() },
    });
    // Long enough for a client made anyway to have connected: the loopback answers in well under a millisecond.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await redis.connectedClients()).toBe(before);
  });
});
