/**
 * LoopsHealthIndicator behind a real Terminus health endpoint, in a Nest app over HTTP (supertest), against the
 * Loops-compatible server and, for BullMQ, a real Redis. Requests are counted on the server; nothing is timed.
 */
import { Controller, Get, type INestApplication, type Type } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { LoopsHealthIndicator, LoopsModule, type LoopsModuleOptions, type LoopsTransport } from '../../lib';
import type { HttpLoopsTransport } from '../../lib/transport/http-loops-transport';
import { BullMqTestBed } from '../bullmq/support/bullmq-test-bed';
import { describeWithRedis } from '../support/with-redis';
import { LoopsCompatibleServer } from '../support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from '../support/loops-testing-app';
import { RedisTestServer } from '../support/redis-server';
import { until } from '../support/until';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly loops: LoopsHealthIndicator,
  ) {}

  @Get('key')
  @HealthCheck()
  key() {
    return this.health.check([() => this.loops.checkApiKey('loops-api-key', { maxAgeMs: 60_000 })]);
  }

  @Get('queue')
  @HealthCheck()
  queue() {
    return this.health.check([() => this.loops.checkQueueDepth('loops-queue', { maxPending: 2 })]);
  }

  @Get('backlog')
  @HealthCheck()
  backlog() {
    return this.health.check([() => this.loops.checkOldestWaiting('loops-backlog', { maxAgeMs: 60_000 })]);
  }

  @Get('redis')
  @HealthCheck()
  redis() {
    return this.health.check([() => this.loops.checkRedis('loops-redis')]);
  }
}

const healthApp = { imports: [TerminusModule], controllers: [HealthController], providers: [LoopsHealthIndicator] };

let server: LoopsCompatibleServer;
const apps: INestApplication[] = [];

async function boot(
  options: Partial<LoopsModuleOptions> = {},
  via = server,
  transport?: (real: HttpLoopsTransport) => LoopsTransport,
): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(via, options, { ...healthApp, transport });
  apps.push(testing.app);
  return testing;
}

const keyChecks = (): number =>
  server.requests.filter((recorded) => recorded.method === 'GET' && recorded.path === '/api/v1/api-key').length;

/** A transport that answers the API key check with `status` itself, and passes every other request on to Loops. */
const answeringKeyCheck =
  (status: number, body: object = { success: false }) =>
  (real: HttpLoopsTransport): LoopsTransport => ({
    send: (sent) => (sent.url.endsWith('/api-key') ? Promise.resolve({ status, headers: {}, body }) : real.send(sent)),
  });

/** `count` probes, `parallel` at a time, each answered with `status`. */
async function hammer(app: INestApplication, path: string, count: number, status: number): Promise<void> {
  const parallel = 50;
  for (let done = 0; done < count; done += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, count - done) }, () =>
        request(app.getHttpServer()).get(path).expect(status),
      ),
    );
  }
}

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  server.reset();
  jest.restoreAllMocks();
});

describe('the API key check', () => {
  it('is up while Loops accepts the key', async () => {
    const { app } = await boot();
    const { body } = await request(app.getHttpServer()).get('/health/key').expect(200);
    expect(body).toMatchObject({
      status: 'ok',
      info: { 'loops-api-key': { status: 'up', checkedAt: expect.any(String) } },
    });
    expect(keyChecks()).toBe(1);
  });

  it('is down with the reason when Loops rejects the key', async () => {
    const { app } = await boot({ apiKey: 'revoked-key' });
    const { body } = await request(app.getHttpServer()).get('/health/key').expect(503);
    expect(body.error).toEqual({
      'loops-api-key': { status: 'down', reason: 'Loops rejected the API key (401)', checkedAt: expect.any(String) },
    });
    expect(JSON.stringify(body)).not.toContain('revoked-key');
  });

  it('is down, saying so, when Loops cannot be reached', async () => {
    const closed = await LoopsCompatibleServer.start();
    await closed.close();
    const { app } = await boot({}, closed);
    const { body } = await request(app.getHttpServer()).get('/health/key').expect(503);
    expect(body.error['loops-api-key'].reason).toMatch(/^Loops could not be reached: .*ECONNREFUSED/);
  });

  it('1 000 probes make one Loops request per period, good key or bad, and the next period one more', async () => {
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    const { app: good } = await boot();
    await hammer(good, '/health/key', 1_000, 200);
    expect(keyChecks()).toBe(1);

    const { app: bad } = await boot({ apiKey: 'revoked-key' });
    await hammer(bad, '/health/key', 1_000, 503);
    expect(keyChecks()).toBe(2);

    // The period (maxAgeMs: 60 s) is over: the next probe asks again, once.
    clock.mockReturnValue(now + 60_000);
    await hammer(good, '/health/key', 100, 200);
    expect(keyChecks()).toBe(3);
  }, 60_000);

  it('takes a slot of the rate limiter, so that events and probes together stay within it', async () => {
    const limit = 2;
    server.rateLimitPerSecond = limit;
    const { app, loops } = await boot({ rateLimit: { requestsPerSecond: limit } });
    for (let n = 0; n < 3 * limit; n++) loops.enqueueEvent({ eventName: 'digest', userId: `u${n}` });
    // Asked while the limiter is busy with the events.
    await request(app.getHttpServer()).get('/health/key').expect(200);
    await loops.flush();

    const arrivals = server.requests.map((recorded) => recorded.receivedAt).sort((a, b) => a - b);
    const busiest = Math.max(
      ...arrivals.map((start) => arrivals.filter((t) => t >= start && t < start + 1_000).length),
    );
    expect(keyChecks()).toBe(1);
    expect(busiest).toBeLessThanOrEqual(limit);
    expect(server.requests.map((recorded) => recorded.status)).not.toContain(429);
  }, 30_000);

  it('gives its rate-limit slot back, so that sends go on after it', async () => {
    // Kept, each check would hold one slot for good: a probe a minute would wedge every send within minutes.
    const { loops } = await boot({ rateLimit: { requestsPerSecond: 1 }, sendTimeoutMs: 3_000 });
    await expect(loops.apiKeyStatus({ maxAgeMs: 0 })).resolves.toMatchObject({ state: 'valid' });
    await expect(loops.sendEvent({ eventName: 'digest', userId: 'u1' })).resolves.toMatchObject({ success: true });
  });

  it("a 429 to the check holds the sends back for Loops' window, as a send's does", async () => {
    const { loops } = await boot(
      { rateLimit: { requestsPerSecond: 100 }, sendTimeoutMs: 300 },
      server,
      answeringKeyCheck(429),
    );
    await expect(loops.apiKeyStatus({ maxAgeMs: 0 })).resolves.toMatchObject({ state: 'unknown' });
    // Held back for a second, a send bounded to 300 ms times out before it makes a request.
    await expect(loops.sendEvent({ eventName: 'digest', userId: 'u1' })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      mayHaveBeenAccepted: false,
    });
    expect(server.eventRequests()).toHaveLength(0);
  });

  it('a 403 is a rejected key, as README says of 401/403', async () => {
    const { loops } = await boot({}, server, answeringKeyCheck(403, { success: false, message: 'Forbidden' }));
    await expect(loops.apiKeyStatus({ maxAgeMs: 0 })).resolves.toMatchObject({ state: 'rejected', status: 403 });
  });

  it('apiKeyStatus() without options reuses an answer for 60 s', async () => {
    // Asking Loops at every call would spend the team's rate limit.
    const { loops } = await boot();
    await expect(loops.apiKeyStatus()).resolves.toMatchObject({ state: 'valid' });
    await expect(loops.apiKeyStatus()).resolves.toMatchObject({ state: 'valid' });
    expect(keyChecks()).toBe(1);
  });
});

describe('the queue checks, in memory', () => {
  it('queue depth: up within the threshold, down with the count above it', async () => {
    const { app, loops } = await boot({ queue: { concurrency: 1 }, shutdownTimeoutMs: 100 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    loops.enqueueEvent({ eventName: 'digest', userId: 'u1' });
    loops.enqueueEvent({ eventName: 'digest', userId: 'u2' });
    await request(app.getHttpServer()).get('/health/queue').expect(200);

    loops.enqueueEvent({ eventName: 'digest', userId: 'u3' });
    const { body } = await request(app.getHttpServer()).get('/health/queue').expect(503);
    expect(body.error['loops-queue']).toEqual({
      status: 'down',
      reason: '3 events pending, more than 2',
      queue: 'memory',
      pending: 3,
      waiting: 2,
      active: 1,
      delayed: 0,
      failed: 0,
      maxPending: 2,
    });
  });

  /** An app whose first delivery stalls, so that the events after it wait; Date.now() held at `now`. */
  async function stalledDelivery() {
    const testing = await boot({ queue: { concurrency: 1 }, shutdownTimeoutMs: 100 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    const now = Date.now();
    return { ...testing, now, clock: jest.spyOn(Date, 'now').mockReturnValue(now) };
  }

  it('oldest waiting: down once an event has waited longer than maxAgeMs', async () => {
    const { app, loops, now, clock } = await stalledDelivery();
    loops.enqueueEvent({ eventName: 'digest', userId: 'u1' });
    loops.enqueueEvent({ eventName: 'digest', userId: 'u2' });

    clock.mockReturnValue(now + 60_000);
    await request(app.getHttpServer()).get('/health/backlog').expect(200);
    clock.mockReturnValue(now + 60_001);
    const { body } = await request(app.getHttpServer()).get('/health/backlog').expect(503);
    expect(body.error['loops-backlog']).toMatchObject({
      status: 'down',
      reason: 'the oldest waiting event was enqueued 60001 ms ago, more than 60000 ms',
      oldestWaitingMs: 60_001,
    });
  });

  it('oldest waiting: the age of the event that has waited longest, however recent the newest', async () => {
    const { app, loops, now, clock } = await stalledDelivery();
    loops.enqueueEvent({ eventName: 'digest', userId: 'u1' });
    loops.enqueueEvent({ eventName: 'digest', userId: 'u2' });
    await until(() => server.eventRequests().length === 1, 'the first event in flight');
    clock.mockReturnValue(now + 30_000);
    loops.enqueueEvent({ eventName: 'digest', userId: 'u3' });

    clock.mockReturnValue(now + 60_001);
    await expect(loops.queueStatus()).resolves.toMatchObject({ waiting: 2, active: 1, oldestWaitingMs: 60_001 });
    const { body } = await request(app.getHttpServer()).get('/health/backlog').expect(503);
    expect(body.error['loops-backlog']).toMatchObject({ oldestWaitingMs: 60_001 });
  });

  it('Redis: up in memory mode, which has none', async () => {
    const { app } = await boot();
    const { body } = await request(app.getHttpServer()).get('/health/redis').expect(200);
    expect(body.info['loops-redis']).toEqual({
      status: 'up',
      queue: 'memory',
      message: 'in-memory delivery uses no Redis',
    });
  });

  it('a bad threshold is an error naming the check, the field and the rule', async () => {
    const { app } = await boot();
    const indicator = app.get(LoopsHealthIndicator);
    await expect(indicator.checkQueueDepth('loops-queue', { maxPending: -1 })).rejects.toThrow(
      'LoopsHealthIndicator.checkQueueDepth: maxPending must be an integer >= 0 (got -1)',
    );
    await expect(indicator.checkOldestWaiting('loops-backlog', { maxAgeMs: Number.NaN })).rejects.toThrow(
      'LoopsHealthIndicator.checkOldestWaiting: maxAgeMs must be a finite number >= 0 (got NaN)',
    );
  });
});

describeWithRedis('the queue checks with BullMQ', () => {
  let redis: RedisTestServer;
  let bed: BullMqTestBed;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(() => {
    bed = new BullMqTestBed(redis, server);
  });
  afterEach(async () => {
    await bed.tearDown();
  });

  it('count the jobs in Redis, delayed and failed ones included, and date the oldest waiting one', async () => {
    // A worker fails one event for good (400) and leaves one delayed (503, its next attempt a minute away); an
    // instance that only enqueues leaves three waiting.
    server.respondWith((request) => {
      const { userId } = (request.body ?? {}) as { userId?: string };
      if (userId === 'later') return { kind: 'status', status: 503 };
      return { kind: 'status', status: 400, body: { success: false, message: 'bad event' } };
    });
    const worker = await bed.instance(
      { retry: { attempts: 3, minDelayMs: 60_000, maxDelayMs: 60_000 } },
      {},
      healthApp,
    );
    await worker.loops.enqueueEventAsync({ eventName: 'digest', userId: 'u0' });
    await worker.loops.enqueueEventAsync({ eventName: 'digest', userId: 'later' });
    const jobs = bed.queue();
    await until(async () => {
      const counts = await jobs.getJobCounts('delayed', 'failed');
      return counts.delayed === 1 && counts.failed === 1;
    }, 'one job delayed and one failed');
    await bed.close(worker);
    server.respondWith(undefined);
    const web = await bed.instance({}, { worker: false }, healthApp);
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    // Enqueued a second apart: the oldest is the first.
    for (const n of [0, 1, 2]) {
      clock.mockReturnValue(now + n * 1_000);
      await web.loops.enqueueEventAsync({ eventName: 'digest', userId: `u${n + 1}` });
    }
    clock.mockReturnValue(now + 61_000);

    expect(await web.loops.queueStatus()).toEqual({
      queue: 'bullmq',
      waiting: 3,
      active: 0,
      delayed: 1,
      failed: 1,
      oldestWaitingMs: 61_000,
    });
    // Delayed jobs are still to be delivered: pending; failed ones are not, and are only reported.
    const depth = await request(web.app.getHttpServer()).get('/health/queue').expect(503);
    expect(depth.body.error['loops-queue']).toMatchObject({
      reason: '4 events pending, more than 2',
      pending: 4,
      delayed: 1,
      failed: 1,
    });
    const backlog = await request(web.app.getHttpServer()).get('/health/backlog').expect(503);
    expect(backlog.body.error['loops-backlog'].reason).toBe(
      'the oldest waiting event was enqueued 61000 ms ago, more than 60000 ms',
    );
  }, 30_000);

  it('Redis: up while it answers, down with the reason once it is gone', async () => {
    const own = await RedisTestServer.start();
    try {
      const ownBed = new BullMqTestBed(own, server);
      const { app } = await ownBed.instance({}, { worker: false, enqueueTimeoutMs: 500 }, healthApp);
      await request(app.getHttpServer())
        .get('/health/redis')
        .expect(200, {
          status: 'ok',
          info: { 'loops-redis': { status: 'up', queue: 'bullmq' } },
          error: {},
          details: { 'loops-redis': { status: 'up', queue: 'bullmq' } },
        });
      own.pause();
      const { body } = await request(app.getHttpServer()).get('/health/redis').expect(503);
      expect(body.error['loops-redis']).toEqual({
        status: 'down',
        queue: 'bullmq',
        reason: 'the queue could not be read: Redis did not answer within enqueueTimeoutMs (500 ms)',
      });
      own.resume();
      await ownBed.tearDown();
    } finally {
      await own.stop();
    }
  }, 30_000);
});

describe('set-up mistakes are named at start-up', () => {
  it('without TerminusModule', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LoopsModule.forRoot({ apiKey: TEST_API_KEY, baseUrl: server.baseUrl })],
      providers: [LoopsHealthIndicator],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      'Invalid LoopsModule option "LoopsHealthIndicator": needs TerminusModule: import it in the module that provides LoopsHealthIndicator',
    );
    await app.close();
  });

  it('without @nestjs/terminus installed', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@nestjs/terminus', () => {
        throw Object.assign(new Error("Cannot find module '@nestjs/terminus'"), { code: 'MODULE_NOT_FOUND' });
      });
      // A fresh copy of the library and Nest, whose require of @nestjs/terminus fails as it does where it is missing.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const lib = require('../../lib') as typeof import('../../lib');
      const { Test: FreshTest } = require('@nestjs/testing') as typeof import('@nestjs/testing');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const moduleRef = await FreshTest.createTestingModule({
        imports: [lib.LoopsModule.forRoot({ apiKey: TEST_API_KEY, baseUrl: server.baseUrl })],
        providers: [lib.LoopsHealthIndicator as Type],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await expect(app.init()).rejects.toThrow(
        'needs the optional peer dependency "@nestjs/terminus": npm install @nestjs/terminus',
      );
      await app.close();
    });
  });
});
