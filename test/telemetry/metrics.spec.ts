/**
 * Metrics (and the spans of failures) with the real OpenTelemetry SDK registered in this process: outcome counters,
 * the queue gauges read from the engines, and the table of names the README promises.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoopsBackgroundDelivery, LoopsEventsService, LoopsTransactionalService } from '../../lib';
import { MemoryBackgroundDelivery } from '../../lib/delivery/memory-background-delivery';
import * as names from '../../lib/telemetry/telemetry-names';
import { BullMqTestBed } from '../bullmq/support/bullmq-test-bed';
import { compileFailingAfterLoops } from '../support/compile-failing-after-loops';
import { describeWithRedis } from '../support/with-redis';
import { ArrayQueue } from '../support/array-queue';
import { LoopsCompatibleServer } from '../support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from '../support/loops-testing-app';
import { RedisTestServer } from '../support/redis-server';
import { until } from '../support/until';
import { type MetricPoint, pointValue, toMetricPoints, toSpanRecord } from './support/otel-snapshot';

const spanExporter = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
// With delta temporality a gauge reports only what its callbacks observed in the collection; with cumulative, the SDK
// repeats its last point.
const deltaExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
const deltaReader = new PeriodicExportingMetricReader({ exporter: deltaExporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader, deltaReader] });
const contextManager = new AsyncLocalStorageContextManager();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });

/** Every metric point collected now, cumulative since the meter provider started (or, `delta`, since the last delta). */
async function collect(temporality: 'cumulative' | 'delta' = 'cumulative'): Promise<MetricPoint[]> {
  const [exporter, from] = temporality === 'delta' ? [deltaExporter, deltaReader] : [metricExporter, reader];
  exporter.reset();
  await from.forceFlush();
  return toMetricPoints(exporter.getMetrics());
}

let server: LoopsCompatibleServer;
const apps: LoopsTestingApp[] = [];

async function boot(
  options: Parameters<typeof createLoopsTestingApp>[1] = {},
  metadata: Parameters<typeof createLoopsTestingApp>[2] = {},
): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(server, options, metadata);
  apps.push(testing);
  return testing;
}

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await server.close();
  await meterProvider.shutdown();
  metrics.disable();
  trace.disable();
  context.disable();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((testing) => testing.app.close()));
  server.reset();
  spanExporter.reset();
  jest.restoreAllMocks();
});

describe('outcome counters', () => {
  it('count failed, deduplicated and dropped background events, by event name, with the error type', async () => {
    const { loops } = await boot();
    const before = await collect();
    server.script({
      kind: 'status',
      status: 400,
      body: { success: false, message: 'ada@example.com is on a suppression list' },
    });
    loops.enqueueEvent({ eventName: 'invoicePaid', email: 'ada@example.com' });
    // A key Loops already holds, chosen by the caller: delivered before.
    await loops.sendEvent({ eventName: 'welcome', userId: 'u1' }, { idempotencyKey: 'welcome-u1' });
    loops.enqueueEvent({ eventName: 'welcome', userId: 'u1' }, { idempotencyKey: 'welcome-u1' });
    loops.reportDropped('planChanged', new Error('no contact for the event'));
    await loops.flush();

    const after = await collect();
    const counted = (outcome: string, eventName: string, mode?: string) =>
      (pointValue(after, 'loops.events.settled', {
        'loops.delivery.outcome': outcome,
        'loops.event.name': eventName,
        ...(mode && { 'loops.delivery.mode': mode }),
      }) ?? 0) -
      (pointValue(before, 'loops.events.settled', {
        'loops.delivery.outcome': outcome,
        'loops.event.name': eventName,
      }) ?? 0);
    expect(counted('failed', 'invoicePaid', 'memory')).toBe(1);
    expect(
      after.find((p) => p.name === 'loops.events.settled' && p.attributes['loops.event.name'] === 'invoicePaid')
        ?.attributes,
    ).toMatchObject({ 'error.type': 'LoopsApiError' });
    expect(counted('sent', 'welcome', 'awaited')).toBe(1);
    expect(counted('deduplicated', 'welcome', 'memory')).toBe(1);
    expect(counted('dropped', 'planChanged')).toBe(1);

    const failedSpan = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .find((span) => span.attributes['loops.event.name'] === 'invoicePaid' && span.name === 'loops.send_event');
    expect(failedSpan).toMatchObject({
      status: { code: 2, message: expect.stringContaining('a***@example.com') },
      attributes: { 'loops.delivery.outcome': 'failed', 'error.type': 'LoopsApiError' },
    });
    expect(failedSpan?.status.message).not.toContain('ada@');
  });

  it('masks an email inside an idempotency key on the spans, awaited and queued', async () => {
    const { loops } = await boot();
    await loops.sendEvent(
      { eventName: 'trialEnding', userId: 'u3' },
      { idempotencyKey: 'trialEnding-ada@example.com' },
    );
    loops.enqueueEvent({ eventName: 'trialEnding', userId: 'u4' }, { idempotencyKey: 'trial-bob.smith@example.org' });
    await loops.flush();
    const keys = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .map((span) => span.attributes['loops.event.idempotency_key'])
      .filter((key) => key !== undefined);
    // The whole local part goes: `-` may be part of an address, so the mask can't tell where the key's own text ends.
    expect(new Set(keys)).toEqual(new Set(['t***@example.com', 't***@example.org']));
    // The key on the wire is the caller's, whole.
    expect(server.accepted.map((event) => event.idempotencyKey).sort()).toEqual([
      'trial-bob.smith@example.org',
      'trialEnding-ada@example.com',
    ]);
  });

  it('counts an awaited send that failed', async () => {
    const { loops } = await boot({ retry: false });
    server.script({ kind: 'status', status: 401, body: { success: false, message: 'Invalid API key' } });
    await expect(loops.sendEvent({ eventName: 'receipt', userId: 'u2' })).rejects.toThrow('rejected the API key');
    const points = await collect();
    expect(
      points.find(
        (point) => point.name === 'loops.events.settled' && point.attributes['loops.event.name'] === 'receipt',
      )?.attributes,
    ).toEqual({
      'loops.event.name': 'receipt',
      'loops.delivery.mode': 'awaited',
      'loops.delivery.outcome': 'failed',
      'error.type': 'LoopsAuthError',
    });
  });
});

describe('the API key check', () => {
  it("counts Loops' 429 and the budget left, like any answer", async () => {
    const testing = await createLoopsTestingApp(
      server,
      {},
      {
        transport: (real) => ({
          send: (request) =>
            request.url.endsWith('/api-key')
              ? Promise.resolve({ status: 429, headers: { 'x-ratelimit-remaining': '3' }, body: { success: false } })
              : real.send(request),
        }),
      },
    );
    apps.push(testing);
    const before = pointValue(await collect(), 'loops.responses.rate_limited') ?? 0;

    await expect(testing.loops.apiKeyStatus({ maxAgeMs: 0 })).resolves.toMatchObject({ state: 'unknown' });
    const points = await collect();
    expect((pointValue(points, 'loops.responses.rate_limited') ?? 0) - before).toBe(1);
    expect(pointValue(points, 'loops.ratelimit.remaining')).toBe(3);
  });
});

describe("a queue of the app's own", () => {
  it('labels its events custom: enqueue spans and outcome counters', async () => {
    const testing = await boot({ extraProviders: [{ provide: LoopsBackgroundDelivery, useClass: ArrayQueue }] });
    testing.loops.enqueueEvent({ eventName: 'ownQueue', userId: 'u1' });
    await testing.loops.flush();

    const enqueued = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .find((span) => span.name === 'loops.enqueue_event' && span.attributes['loops.event.name'] === 'ownQueue');
    expect(enqueued?.attributes['loops.delivery.mode']).toBe('custom');
    expect(
      pointValue(await collect(), 'loops.events.settled', {
        'loops.event.name': 'ownQueue',
        'loops.delivery.mode': 'custom',
        'loops.delivery.outcome': 'sent',
      }),
    ).toBe(1);
  });
});

describe('an in-memory delivery cut short by shutdown', () => {
  it('is a LoopsShutdownError on its span as on its counter', async () => {
    const testing = await boot({ shutdownTimeoutMs: 50 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    testing.loops.enqueueEvent({ eventName: 'cutAtShutdown', userId: 'u1' });
    await until(() => server.eventRequests().length === 1, 'the request reached the server');
    await testing.app.close();
    apps.splice(apps.indexOf(testing), 1);
    server.respondWith(undefined);

    const span = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .find(
        (record) => record.name === 'loops.send_event' && record.attributes['loops.event.name'] === 'cutAtShutdown',
      );
    const counted = (await collect()).find(
      (point) => point.name === 'loops.events.settled' && point.attributes['loops.event.name'] === 'cutAtShutdown',
    );
    expect(counted?.attributes['error.type']).toBe('LoopsShutdownError');
    expect(span?.attributes['error.type']).toBe('LoopsShutdownError');
  });
});

describe('enqueue spans', () => {
  it('start with the first enqueue after an SDK registers, even when it registers after the app started', async () => {
    // An app that starts its SDK late: none is registered while the module is built.
    trace.disable();
    const { loops } = await boot();
    loops.enqueueEvent({ eventName: 'beforeSdk', userId: 'u1' });
    trace.setGlobalTracerProvider(tracerProvider);
    loops.enqueueEvent({ eventName: 'afterSdk', userId: 'u1' });
    await loops.flush();
    const enqueued = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .filter((span) => span.name === 'loops.enqueue_event');
    expect(enqueued.map((span) => span.attributes['loops.event.name'])).toEqual(['afterSdk']);
    // Its context went with the event: the send span is its child.
    const sent = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .find((span) => span.name === 'loops.send_event' && span.attributes['loops.event.name'] === 'afterSdk');
    expect(sent?.parentSpanId).toBe(enqueued[0].spanId);
  });
});

describe('events the interceptor hands over', () => {
  it('each gets its enqueue span under the span it was handed over in, though a turn of them is queued at once', async () => {
    const { loops } = await boot();
    const tracer = trace.getTracer('nestjs-loops-test');
    const refused: unknown[] = [];
    const requestSpanIds = ['u1', 'u2'].map((userId) =>
      tracer.startActiveSpan(`request ${userId}`, (span) => {
        loops.queueEvent({ eventName: 'handedOver', userId }, { onRefused: (error) => refused.push(error) });
        span.end();
        return span.spanContext().spanId;
      }),
    );
    await loops.flush();
    const enqueued = spanExporter
      .getFinishedSpans()
      .map(toSpanRecord)
      .filter((span) => span.name === 'loops.enqueue_event');
    expect(enqueued.map((span) => span.parentSpanId)).toEqual(requestSpanIds);
    expect(refused).toEqual([]);
  });
});

describe('transactional emails', () => {
  it('are counted on loops.transactional.settled by id, never as events, and traced as loops.send_transactional', async () => {
    const { app } = await boot();
    const transactional = app.get(LoopsTransactionalService);
    const before = await collect();
    server.script({ kind: 'status', status: 404, body: { success: false, message: 'Transactional email not found.' } });
    transactional.enqueue({ transactionalId: 'gone', email: 'ada@example.com' });
    await transactional.send({ transactionalId: 'welcome', email: 'ada@example.com' });
    await app.get(LoopsEventsService).flush();

    const after = await collect();
    const counted = (outcome: string, transactionalId: string, mode: string) =>
      (pointValue(after, 'loops.transactional.settled', {
        'loops.delivery.outcome': outcome,
        'loops.transactional.id': transactionalId,
        'loops.delivery.mode': mode,
      }) ?? 0) -
      (pointValue(before, 'loops.transactional.settled', {
        'loops.delivery.outcome': outcome,
        'loops.transactional.id': transactionalId,
        'loops.delivery.mode': mode,
      }) ?? 0);
    expect(counted('failed', 'gone', 'memory')).toBe(1);
    expect(counted('sent', 'welcome', 'awaited')).toBe(1);
    expect(
      after.find((p) => p.name === 'loops.transactional.settled' && p.attributes['loops.transactional.id'] === 'gone')
        ?.attributes,
    ).toMatchObject({ 'error.type': 'LoopsTransactionalNotFoundError' });
    expect(
      after.filter((point) => point.name === 'loops.events.settled' && !('loops.event.name' in point.attributes)),
    ).toEqual([]);

    const spans = spanExporter.getFinishedSpans().map(toSpanRecord);
    expect(spans.map((span) => span.name).sort()).toEqual([
      'loops.enqueue_transactional',
      'loops.send_transactional',
      'loops.send_transactional',
    ]);
    for (const span of spans) expect(span.attributes['loops.transactional.id']).toMatch(/^(gone|welcome)$/);
  });
});

describe('queue gauges', () => {
  it('in memory: events waiting and in flight, and the age of the oldest waiting one', async () => {
    const { loops } = await boot({ queue: { concurrency: 1 }, shutdownTimeoutMs: 100 });
    // The first delivery stalls (the server cuts the wait short when it closes): the others wait behind it.
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    const enqueuedAt = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(enqueuedAt);
    for (const n of [1, 2, 3]) loops.enqueueEvent({ eventName: 'digest', userId: `u${n}` });
    clock.mockReturnValue(enqueuedAt + 5_000);

    // Labelled memory: a cumulative reader keeps reporting what other tests' apps last observed under other labels.
    const points = (await collect()).filter((point) => point.attributes['loops.delivery.mode'] === 'memory');
    const depth = points.filter((point) => point.name === 'loops.queue.depth');
    expect(depth.map((point) => [point.attributes['loops.queue.state'], point.value]).sort()).toEqual([
      ['active', 1],
      ['waiting', 2],
    ]);
    expect(points.find((point) => point.name === 'loops.queue.oldest_waiting.age')).toMatchObject({
      unit: 's',
      value: 5,
    });
  });

  it('stop asking the queue once the app is closed', async () => {
    // The SDK keeps reporting a cumulative gauge's last points: whether the queue is still asked tells.
    const asked = jest.spyOn(MemoryBackgroundDelivery.prototype, 'status');
    const testing = await boot();
    await collect();
    expect(asked).toHaveBeenCalledTimes(1);
    await testing.app.close();
    apps.splice(apps.indexOf(testing), 1);
    await collect();
    expect(asked).toHaveBeenCalledTimes(1);
  });
});

describe('the rate-limit gauge', () => {
  /** Transport for an app whose sends are each answered 200 with the next of `remaining` as x-ratelimit-remaining. */
  function answering(remaining: string[]) {
    let answer = 0;
    return () => ({
      send: () =>
        Promise.resolve({
          status: 200,
          headers: { 'x-ratelimit-remaining': remaining[answer++] },
          body: { success: true },
        }),
    });
  }

  it('keeps the last well-formed value when Loops sends a malformed one', async () => {
    // A proxy's header, or a list, must not turn the gauge into NaN.
    const { loops } = await boot({}, { transport: answering(['7', 'n/a']) });
    await loops.sendEvent({ eventName: 'signup', userId: 'u1' });
    await loops.sendEvent({ eventName: 'signup', userId: 'u2' });
    expect(pointValue(await collect(), 'loops.ratelimit.remaining')).toBe(7);
  });

  it('is no longer reported by a closed app', async () => {
    const testing = await boot({}, { transport: answering(['5']) });
    await testing.loops.sendEvent({ eventName: 'signup', userId: 'u3' });
    expect(pointValue(await collect('delta'), 'loops.ratelimit.remaining')).toBe(5);
    await testing.app.close();
    apps.splice(apps.indexOf(testing), 1);
    expect(pointValue(await collect('delta'), 'loops.ratelimit.remaining')).toBeUndefined();
  });
});

describeWithRedis('queue gauges with BullMQ', () => {
  let redis: RedisTestServer;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('report the jobs in Redis: waiting, active, delayed and failed, and the oldest waiting', async () => {
    const bed = new BullMqTestBed(redis, server);
    try {
      // An instance with a worker leaves two jobs delayed (a 503, the next attempt a minute away) and one failed (400).
      server.respondWith((request) => {
        const { userId } = (request.body ?? {}) as { userId?: string };
        if (userId?.startsWith('later')) return { kind: 'status', status: 503 };
        if (userId === 'refused')
          return { kind: 'status', status: 400, body: { success: false, message: 'Bad event' } };
        return undefined;
      });
      const working = await bed.instance({ retry: { attempts: 3, minDelayMs: 60_000, maxDelayMs: 60_000 } });
      for (const userId of ['later', 'later-too', 'refused'])
        await working.loops.enqueueEventAsync({ eventName: 'digest', userId });
      const jobs = bed.queue();
      await until(async () => {
        const counts = await jobs.getJobCounts('delayed', 'failed');
        return counts.delayed === 2 && counts.failed === 1;
      }, 'two jobs delayed and one failed');
      await bed.close(working);
      server.respondWith(undefined);

      // An instance that only enqueues: the jobs stay waiting.
      const { loops } = await bed.instance({}, { worker: false });
      const enqueuedAt = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(enqueuedAt);
      for (const n of [1, 2, 3]) await loops.enqueueEventAsync({ eventName: 'digest', userId: `u${n}` });
      clock.mockReturnValue(enqueuedAt + 90_000);

      const points = await collect();
      const depth = points.filter(
        (point) => point.name === 'loops.queue.depth' && point.attributes['loops.delivery.mode'] === 'bullmq',
      );
      expect(depth.map((point) => [point.attributes['loops.queue.state'], point.value]).sort()).toEqual([
        ['active', 0],
        ['delayed', 2],
        ['failed', 1],
        ['waiting', 3],
      ]);
      expect(pointValue(points, 'loops.queue.oldest_waiting.age', { 'loops.delivery.mode': 'bullmq' })).toBe(90);
    } finally {
      await bed.tearDown();
    }
  }, 30_000);

  it('are not reported while Redis does not answer, rather than reported as an empty queue', async () => {
    const bed = new BullMqTestBed(redis, server);
    const waiting = async () =>
      pointValue(await collect(), 'loops.queue.depth', {
        'loops.delivery.mode': 'bullmq',
        'loops.queue.state': 'waiting',
      });
    try {
      const { loops } = await bed.instance({}, { worker: false, enqueueTimeoutMs: 500 });
      for (const n of [1, 2]) await loops.enqueueEventAsync({ eventName: 'digest', userId: `u${n}` });
      // The SDK keeps, per label set, the point sampled last by Date.now: later than the clocks other tests set.
      jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000);
      expect(await waiting()).toBe(2);
      redis.pause();
      // Nothing observed: the cumulative reader keeps the last point, where a made-up reading would say 0.
      expect(await waiting()).toBe(2);
    } finally {
      redis.resume();
      await bed.tearDown();
    }
  }, 30_000);

  it('an app whose compile failed is not read at collection: no Redis connection is opened for it', async () => {
    const before = await redis.connectedClients();
    await compileFailingAfterLoops({
      apiKey: TEST_API_KEY,
      baseUrl: server.baseUrl,
      delivery: { queue: 'bullmq', connection: redis.connection, queueName: 'loops-failed-compile' },
    });
    await collect();
    // Long enough for a client made anyway to have connected: the loopback answers in well under a millisecond.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await redis.connectedClients()).toBe(before);
  });

  it('the enqueue-to-accept histogram leaves out an event found delivered already when enqueued again', async () => {
    const bed = new BullMqTestBed(redis, server);
    try {
      const { loops } = await bed.instance();
      const histogram = async () =>
        (await collect()).find(
          (point) =>
            point.name === 'loops.event.enqueue_to_accept.duration' &&
            point.attributes['loops.event.name'] === 'deliveredOnce',
        );
      await loops.enqueueEventAsync({ eventName: 'deliveredOnce', userId: 'u1' }, { idempotencyKey: 'once-u1' });
      await loops.flush();
      expect(await histogram()).toMatchObject({ count: 1 });

      await loops.enqueueEventAsync({ eventName: 'deliveredOnce', userId: 'u1' }, { idempotencyKey: 'once-u1' });
      await loops.flush();
      const points = await collect();
      const deduplicated = { 'loops.event.name': 'deliveredOnce', 'loops.delivery.outcome': 'deduplicated' };
      expect(pointValue(points, 'loops.events.settled', deduplicated)).toBe(1);
      expect(await histogram()).toMatchObject({ count: 1 });
      expect(server.accepted).toHaveLength(1);
    } finally {
      await bed.tearDown();
    }
  }, 30_000);

  it("a job's last attempt cut short by shutdown: its span says retrying, as the job goes back to waiting", async () => {
    const bed = new BullMqTestBed(redis, server);
    try {
      server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
      const first = await bed.instance({ retry: { attempts: 1 }, shutdownTimeoutMs: 100 });
      await first.loops.enqueueEventAsync({ eventName: 'cutShort', userId: 'u1' });
      await until(() => server.eventRequests().length === 1, 'the request reached the server');
      await bed.close(first);
      expect(await bed.queue().getJobCounts('waiting', 'failed')).toEqual({ waiting: 1, failed: 0 });
      server.respondWith(undefined);
      const second = await bed.instance({ retry: { attempts: 1 } });
      await second.loops.flush();

      const outcomes = spanExporter
        .getFinishedSpans()
        .map(toSpanRecord)
        .filter((span) => span.name === 'loops.send_event' && span.attributes['loops.event.name'] === 'cutShort')
        .map((span) => span.attributes['loops.delivery.outcome']);
      expect(outcomes).toEqual(['retrying', 'sent']);
    } finally {
      server.respondWith(undefined);
      await bed.tearDown();
    }
  }, 30_000);
});

describe('names', () => {
  it('the README lists every metric with its unit, and no other', async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(loops\.[\w.]+)` +\| [^|]+\| `([^`]+)` +\|/gm)].map(([, name, unit]) => [
      name,
      unit,
    ]);
    const declared = Object.entries(names)
      .filter(([constant]) => constant.startsWith('METRIC_'))
      .map(([, name]) => name);
    expect(rows.map(([name]) => name).sort()).toEqual([...declared].sort());

    // The units in the table are those the instruments carry: collect one of each kind after a send.
    const testing = await boot();
    const { loops } = testing;
    server.script({ kind: 'status', status: 429, headers: { 'x-ratelimit-remaining': '0' } });
    loops.enqueueEvent({ eventName: 'digest', userId: 'u1' });
    testing.app.get(LoopsTransactionalService).enqueue({ transactionalId: 'welcome', email: 'ada@example.com' });
    await loops.flush();
    const units = new Map((await collect()).map((point) => [point.name, point.unit]));
    for (const [name, unit] of rows) expect([name, units.get(name)]).toEqual([name, unit]);
  }, 30_000);
});
