/**
 * Traces and metrics of a real app, instrumented as in production: the OpenTelemetry SDK with in-memory exporters and
 * @opentelemetry/instrumentation-http, in a process of its own (test/telemetry/support/traced-app.ts). The span tree
 * must read "this request -> this event -> these attempts", with the HTTP client spans that the instrumentation
 * makes as children of the send span, in memory and through BullMQ (where the context crosses Redis).
 */
import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import type { LoopsModuleOptions } from '../../lib';
import { forkTs, killHard, nextMessage } from '../support/child-process/fork-ts';
import { LoopsCompatibleServer } from '../support/loops-server';
import { TEST_API_KEY } from '../support/loops-testing-app';
import { RedisTestServer } from '../support/redis-server';
import { itWithRedis } from '../support/with-redis';
import { type MetricPoint, pointValue, type SpanRecord } from './support/otel-snapshot';
import type { FromTracedApp, ToTracedApp } from './support/traced-app-protocol';

const EMAIL = 'ada.lovelace@example.com';
/** What must never reach a span or a metric. */
const SECRETS = [EMAIL, 'ada.lovelace', TEST_API_KEY, 'secret-plan-value', 'secret-amount-value'];

interface TracedApp {
  url: string;
  collect(): Promise<{ spans: SpanRecord[]; metrics: MetricPoint[] }>;
}

const statusOf = (span: SpanRecord): unknown =>
  span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];

function childrenOf(spans: SpanRecord[], parent: SpanRecord): SpanRecord[] {
  return spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);
}

function only(spans: SpanRecord[], where: (span: SpanRecord) => boolean, what: string): SpanRecord {
  const found = spans.filter(where);
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0];
}

function expectNoSecrets(spans: SpanRecord[], metrics: MetricPoint[]): void {
  const texts = [
    ...spans.flatMap((span) => [...Object.values(span.attributes), span.status.message]),
    ...metrics.flatMap((point) => Object.values(point.attributes)),
  ].map((value) => String(value));
  for (const secret of SECRETS) expect(texts.filter((text) => text.includes(secret))).toEqual([]);
}

describe('traces and metrics with the OpenTelemetry SDK and HTTP instrumentation', () => {
  let server: LoopsCompatibleServer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => killHard(child)));
    server.reset();
  });

  async function startTracedApp(options: Partial<LoopsModuleOptions> = {}): Promise<TracedApp> {
    const child = forkTs(`${__dirname}/support/traced-app.ts`, {
      TRACED_APP: JSON.stringify({
        options: {
          apiKey: TEST_API_KEY,
          baseUrl: server.baseUrl,
          rateLimit: false,
          retry: { attempts: 4, minDelayMs: 10, maxDelayMs: 50 },
          ...options,
        },
      }),
    });
    children.push(child);
    const { port } = await nextMessage<Extract<FromTracedApp, { type: 'ready' }>>(child, 'ready');
    return {
      url: `http://127.0.0.1:${port}`,
      collect: async () => {
        const collected = nextMessage<Extract<FromTracedApp, { type: 'collected' }>>(child, 'collected', 30_000);
        child.send({ type: 'collect' } satisfies ToTracedApp);
        const { spans, metrics } = await collected;
        return { spans, metrics };
      },
    };
  }

  /** The request's server span, the event's enqueue span under it, and the send spans under that. */
  function backgroundTree(spans: SpanRecord[]) {
    const incoming = only(spans, (span) => span.kind === 'SERVER', 'server span');
    const enqueue = only(spans, (span) => span.name === 'loops.enqueue_event', 'enqueue span');
    expect(enqueue).toMatchObject({ kind: 'PRODUCER', parentSpanId: incoming.spanId, traceId: incoming.traceId });
    expect(enqueue.attributes).toMatchObject({ 'loops.event.name': 'signup' });
    const sends = childrenOf(spans, enqueue);
    expect(sends.every((span) => span.name === 'loops.send_event' && span.kind === 'INTERNAL')).toBe(true);
    return { incoming, enqueue, sends };
  }

  it('in memory: request -> enqueue -> one send span over the retries -> an HTTP client span per attempt', async () => {
    const app = await startTracedApp();
    server.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });

    await request(app.url).post('/accounts').send({ email: EMAIL }).expect(201);
    const { spans, metrics } = await app.collect();

    const { sends } = backgroundTree(spans);
    expect(sends).toHaveLength(1);
    const [send] = sends;
    expect(send.attributes).toEqual({
      'loops.event.name': 'signup',
      'loops.event.idempotency_key': expect.any(String),
      'loops.delivery.mode': 'memory',
      'loops.delivery.outcome': 'sent',
      'loops.delivery.attempts': 3,
      'http.request.resend_count': 2,
    });
    const attempts = childrenOf(spans, send);
    expect(attempts.map((span) => [span.kind, statusOf(span)])).toEqual([
      ['CLIENT', 503],
      ['CLIENT', 503],
      ['CLIENT', 200],
    ]);
    // The instrumentation's client spans are all there is: none hangs elsewhere in the trace.
    expect(spans.filter((span) => span.kind === 'CLIENT')).toHaveLength(3);

    expect(pointValue(metrics, 'loops.events.settled', { 'loops.delivery.outcome': 'sent' })).toBe(1);
    expect(metrics.find((point) => point.name === 'loops.events.settled')?.attributes).toEqual({
      'loops.event.name': 'signup',
      'loops.delivery.mode': 'memory',
      'loops.delivery.outcome': 'sent',
    });
    expect(pointValue(metrics, 'loops.requests.retried', { 'loops.delivery.mode': 'memory' })).toBe(2);
    const latency = metrics.find((point) => point.name === 'loops.event.enqueue_to_accept.duration');
    expect(latency).toMatchObject({ unit: 's', count: 1 });
    expectNoSecrets(spans, metrics);
  }, 60_000);

  itWithRedis(
    'through BullMQ: the context crosses Redis, and each job attempt is a send span with its request',
    async () => {
      const redis = await RedisTestServer.start();
      try {
        const queueName = `loops-trace-${Math.random().toString(36).slice(2)}`;
        const app = await startTracedApp({
          delivery: { queue: 'bullmq', connection: redis.connection, queueName, lockDurationMs: 1_000 },
        });
        server.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });

        await request(app.url).post('/accounts').send({ email: EMAIL }).expect(201);
        const { spans, metrics } = await app.collect();

        const { sends } = backgroundTree(spans);
        const byAttempt = [...sends].sort(
          (a, b) => Number(a.attributes['loops.delivery.attempts']) - Number(b.attributes['loops.delivery.attempts']),
        );
        expect(byAttempt.map((span) => span.attributes)).toEqual(
          [
            ['retrying', 1, undefined],
            ['retrying', 2, 1],
            ['sent', 3, 2],
          ].map(([outcome, attempts, resends]) => ({
            'loops.event.name': 'signup',
            'loops.event.idempotency_key': expect.any(String),
            'loops.delivery.mode': 'bullmq',
            'loops.delivery.outcome': outcome,
            'loops.delivery.attempts': attempts,
            ...(resends !== undefined && { 'http.request.resend_count': resends }),
            ...(outcome === 'retrying' && { 'error.type': 'LoopsApiError' }),
          })),
        );
        expect(byAttempt.map((span) => childrenOf(spans, span).map((child) => [child.kind, statusOf(child)]))).toEqual([
          [['CLIENT', 503]],
          [['CLIENT', 503]],
          [['CLIENT', 200]],
        ]);
        expect(byAttempt.map((span) => span.status.code)).toEqual([2, 2, 0]);

        expect(pointValue(metrics, 'loops.events.settled', { 'loops.delivery.mode': 'bullmq' })).toBe(1);
        expect(pointValue(metrics, 'loops.requests.retried', { 'loops.delivery.mode': 'bullmq' })).toBe(2);
        expectNoSecrets(spans, metrics);
      } finally {
        await redis.stop();
      }
    },
    60_000,
  );

  it('awaited: the send span is a child of the request span, its HTTP client spans children of it', async () => {
    const app = await startTracedApp();
    server.script({ kind: 'status', status: 502 });

    await request(app.url).post('/receipts').send({ email: EMAIL }).expect(201, { attempts: 2 });
    const { spans, metrics } = await app.collect();

    const incoming = only(spans, (span) => span.kind === 'SERVER', 'server span');
    const send = only(spans, (span) => span.name === 'loops.send_event', 'send span');
    expect(send).toMatchObject({ parentSpanId: incoming.spanId, traceId: incoming.traceId });
    expect(send.attributes).toMatchObject({ 'loops.delivery.mode': 'awaited', 'loops.delivery.attempts': 2 });
    expect(childrenOf(spans, send).map(statusOf)).toEqual([502, 200]);
    expect(spans.some((span) => span.name === 'loops.enqueue_event')).toBe(false);
    expect(
      pointValue(metrics, 'loops.events.settled', { 'loops.delivery.mode': 'awaited', 'loops.event.name': 'receipt' }),
    ).toBe(1);
    expectNoSecrets(spans, metrics);
  }, 60_000);

  it('each queued event keeps its own parent, whichever delivery ran before it in the worker', async () => {
    const app = await startTracedApp({ queue: { concurrency: 1 } });
    server.respondWith(() => ({ kind: 'delay', ms: 30 }));

    await Promise.all(
      [1, 2, 3].map((n) =>
        request(app.url)
          .post('/accounts')
          .send({ email: `user${n}@example.com` })
          .expect(201),
      ),
    );
    const { spans } = await app.collect();

    const enqueues = spans.filter((span) => span.name === 'loops.enqueue_event');
    const sends = spans.filter((span) => span.name === 'loops.send_event');
    expect(enqueues).toHaveLength(3);
    expect(new Set(enqueues.map((span) => span.traceId)).size).toBe(3);
    for (const send of sends) {
      const parent = enqueues.find((span) => span.spanId === send.parentSpanId);
      expect(parent?.attributes['loops.event.idempotency_key']).toBe(send.attributes['loops.event.idempotency_key']);
      expect(parent?.traceId).toBe(send.traceId);
    }
    expect(sends).toHaveLength(3);
  }, 60_000);

  it('counts 429s and reports the last x-ratelimit-remaining', async () => {
    const app = await startTracedApp();
    server.script(
      { kind: 'status', status: 429, headers: { 'x-ratelimit-remaining': '0' } },
      { kind: 'status', status: 200, body: { success: true }, headers: { 'x-ratelimit-remaining': '7' } },
    );

    await request(app.url).post('/accounts').send({ email: EMAIL }).expect(201);
    const { metrics } = await app.collect();

    expect(pointValue(metrics, 'loops.responses.rate_limited')).toBe(1);
    expect(pointValue(metrics, 'loops.ratelimit.remaining')).toBe(7);
    expect(pointValue(metrics, 'loops.requests.retried')).toBe(1);
  }, 60_000);
});
