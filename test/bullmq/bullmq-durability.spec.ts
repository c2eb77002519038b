/**
 * Durable delivery keeps its promise through what it exists for: graceful restarts during a Loops outage, an
 * instance killed mid-request, Redis restarting, several instances enqueueing one key at once, web pods that only
 * enqueue, and a replay of what failed. Each scenario checks the server's audit (see `expectDeliveredExactlyOnce`).
 */
import { Controller, Post } from '@nestjs/common';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EmitLoopsEvent,
  LoopsApiError,
  LoopsBackgroundDelivery,
  type LoopsDeliveryOutcome,
  LoopsQueueFullError,
  LoopsQueueUnavailableError,
} from '../../lib';
import { expectDeliveredExactlyOnce } from '../support/exactly-once';
import { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from '../support/loops-server';
import type { LoopsTestingApp } from '../support/loops-testing-app';
import { freePort, RedisTestServer } from '../support/redis-server';
import { until } from '../support/until';
import { BullMqTestBed, userEvent } from './support/bullmq-test-bed';
import { describeWithRedis } from '../support/with-redis';

const range = (count: number, from = 0): number[] => Array.from({ length: count }, (_, index) => from + index);
const userIds = (indexes: number[]): string[] => indexes.map((index) => `user-${index}`);

function collect(testing: LoopsTestingApp): LoopsDeliveryOutcome[] {
  const outcomes: LoopsDeliveryOutcome[] = [];
  testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  return outcomes;
}

/** Keys the server has received at least one request for. */
const keysRequested = (server: LoopsCompatibleServer): Set<string | undefined> =>
  new Set(server.eventRequests().map((request) => request.idempotencyKey));

describeWithRedis('durable delivery with BullMQ', () => {
  let redis: RedisTestServer;
  let server: LoopsCompatibleServer;
  let bed: BullMqTestBed;

  beforeAll(async () => {
    redis = await RedisTestServer.start({ durable: true });
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    redis.resume();
    await bed.tearDown();
    await server.close();
  });

  describe.each(LOOPS_IDEMPOTENCY_RULES)('when Loops follows the %s idempotency rule', (idempotencyRule) => {
    beforeEach(async () => {
      server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0, idempotencyRule });
      bed = new BullMqTestBed(redis, server);
    });

    it('a graceful shutdown in the middle of backoffs while Loops answers 503: another instance delivers all', async () => {
      const retry = { attempts: 8, minDelayMs: 400, maxDelayMs: 3_000 };
      const options = { retry, shutdownTimeoutMs: 500, rateLimit: { requestsPerSecond: 10 } };
      server.respondWith(() => ({ kind: 'status', status: 503 }));
      const stopping = await bed.instance(options);
      const reported = collect(stopping);
      const ids = range(6);
      const keys = await Promise.all(ids.map((index) => stopping.loops.enqueueEventAsync(userEvent(index))));
      await until(() => keys.every((key) => keysRequested(server).has(key)), 'a first 503 for every event');

      await bed.close(stopping);
      expect(reported).toEqual([]);
      const counts = await bed.queue().getJobCounts('failed', 'waiting', 'delayed', 'active');
      expect(counts.failed).toBe(0);
      expect(counts.waiting + counts.delayed + counts.active).toBe(6);

      server.respondWith(undefined);
      const taking = await bed.instance(options);
      const outcomes = collect(taking);
      await expect(taking.loops.flush(30_000)).resolves.toBe(true);
      expectDeliveredExactlyOnce(server, userIds(ids));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(6).fill('sent'));
    }, 60_000);

    it('an instance killed (SIGKILL) mid-request: another process delivers its jobs, each once', async () => {
      // Accepted at once, answered too late: the killed instance never learns it, the survivor must work it out.
      server.respondWith(() => ({ kind: 'accept-then-delay', ms: 10_000 }));
      const doomed = await bed.childInstance({ queue: { concurrency: 4 } });
      const ids = range(8);
      // Generated keys: only the job's history can tell the survivor that a 409 is its own event's.
      await doomed.enqueue(ids.map((index) => ({ event: userEvent(index) })));
      await until(() => server.accepted.length >= 4, 'four events accepted, their answers held back');
      server.respondWith(undefined);
      // The second instance runs before the crash, in a process of its own, and takes the jobs nobody holds.
      const survivor = await bed.childInstance({ queue: { concurrency: 4 } });
      await until(() => survivor.outcomes.length === 4, 'the survivor delivering the four jobs nobody held');
      await doomed.kill();

      await until(() => survivor.outcomes.length === 8, 'an outcome for each of the 8 events in the survivor');
      expect(survivor.outcomes.map((outcome) => outcome.status)).toEqual(Array(8).fill('sent'));
      expectDeliveredExactlyOnce(server, userIds(ids));
      // The killed instance's requests never got their answer: the survivor had to decide on its own.
      const cutShort = server.eventRequests().filter((request) => request.answeredAt === undefined);
      expect(cutShort.length).toBeGreaterThanOrEqual(4);
      await survivor.close();
    }, 60_000);
  });

  describe('with the documented idempotency rule', () => {
    beforeEach(async () => {
      server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
      bed = new BullMqTestBed(redis, server);
    });

    it('shutdown cuts a request in flight short and puts its job back, attempts intact, reporting nothing', async () => {
      server.respondWith(() => ({ kind: 'delay', ms: 1_500 }));
      const stopping = await bed.instance({
        shutdownTimeoutMs: 300,
        retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 },
      });
      const reported = collect(stopping);
      await stopping.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'in-flight' });
      await until(() => server.eventRequests().length === 1, 'the request in flight');
      await bed.close(stopping);
      expect(reported).toEqual([]);
      const job = await bed.queue().getJob('loops-in-flight');
      expect(await job?.getState()).toBe('waiting');
      expect(job?.attemptsMade).toBe(0);

      server.respondWith(undefined);
      const taking = await bed.instance();
      await taking.loops.flush();
      expectDeliveredExactlyOnce(server, ['user-1']);
    }, 30_000);

    it('a request that ends within shutdownTimeoutMs: its outcome before deliveries$ completes, its slot released', async () => {
      server.respondWith(() => ({ kind: 'delay', ms: 400 }));
      const stopping = await bed.instance({
        shutdownTimeoutMs: 10_000,
        timeoutMs: 20_000,
        rateLimit: { requestsPerSecond: 10 },
      });
      const seen: string[] = [];
      stopping.loops.deliveries$.subscribe({
        next: (outcome) => seen.push(`${outcome.status} ${'idempotencyKey' in outcome ? outcome.idempotencyKey : ''}`),
        complete: () => seen.push('complete'),
      });
      await stopping.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'ends-in-time' });
      await until(() => server.eventRequests().length === 1, 'the request in flight');
      await bed.close(stopping);

      // Completing deliveries$ first would lose the outcome of a request the shutdown let finish.
      expect(seen).toEqual(['sent ends-in-time', 'complete']);
      expect(await (await bed.queue().getJob('loops-ends-in-time'))?.getState()).toBe('completed');
      // Closing the limiter's Redis client first would leave the slot held for the attempt's whole timeout (20 s);
      // released, it frees up one window after the request ended.
      const client = new Redis(redis.connection);
      try {
        const [seconds, micros] = (await client.time()) as [number, number];
        const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        const slots = await client.zrange(`bull:${bed.queueName}:rate-limit`, '0', '-1', 'WITHSCORES');
        expect(slots).toHaveLength(2);
        expect(Number(slots[1]) - now).toBeLessThan(10_000);
      } finally {
        client.disconnect();
      }
    }, 30_000);

    it('Redis killed and restarted (append-only file) in the middle of a run: every event delivered once', async () => {
      server.respondWith(() => ({ kind: 'delay', ms: 20 }));
      const testing = await bed.instance({ queue: { concurrency: 4 } });
      const ids = range(150);
      await Promise.all(ids.map((index) => testing.loops.enqueueEventAsync(userEvent(index))));
      await until(() => server.accepted.length >= 30, 'the first 30 deliveries');
      await redis.restart();
      await expect(testing.loops.flush(60_000)).resolves.toBe(true);
      expect(server.accepted.length).toBeLessThan(150 + 1);
      expectDeliveredExactlyOnce(server, userIds(ids));
    }, 90_000);

    it('two instances enqueueing the same keys at once, fresh or failed: one job, one delivery each', async () => {
      const [first, second] = await Promise.all([bed.instance(), bed.instance()]);
      const both = (index: number, key: string) =>
        [first, second].map((testing) => testing.loops.enqueueEventAsync(userEvent(index), { idempotencyKey: key }));
      const fresh = range(30);
      await Promise.all(fresh.flatMap((index) => both(index, `fresh-${index}`)));
      await first.loops.flush();

      server.respondWith(() => ({
        kind: 'status',
        status: 400,
        body: { success: false, message: 'Contact not found' },
      }));
      const retried = range(30, 100);
      await Promise.all(
        retried.map((index) => first.loops.enqueueEventAsync(userEvent(index), { idempotencyKey: `retried-${index}` })),
      );
      await first.loops.flush();
      expect((await bed.queue().getJobCounts('failed')).failed).toBe(30);
      server.respondWith(undefined);
      const again = await Promise.allSettled(retried.flatMap((index) => both(index, `retried-${index}`)));
      expect(again.filter((settled) => settled.status === 'rejected')).toEqual([]);
      await first.loops.flush();

      expectDeliveredExactlyOnce(server, userIds([...fresh, ...retried]));
      // Each failed job went back to the queue once: one 400, then one accepted request.
      for (const index of retried) {
        const statuses = server.eventRequests().filter((request) => request.idempotencyKey === `retried-${index}`);
        expect(statuses.map((request) => request.status)).toEqual([400, 200]);
      }
    }, 60_000);

    it('a web pod that only enqueues (redis:// URL) and a worker pod (an ioredis instance of the app)', async () => {
      const producer = await bed.instance({}, { worker: false, connection: redis.url });
      const ids = range(20);
      await Promise.all(ids.map((index) => producer.loops.enqueueEventAsync(userEvent(index))));
      expect(await bed.queue().getJobCounts('waiting', 'active', 'completed')).toEqual({
        waiting: 20,
        active: 0,
        completed: 0,
      });
      expect(server.eventRequests()).toHaveLength(0);

      const appRedis = new Redis(redis.connection);
      try {
        const worker = await bed.instance({}, { connection: appRedis });
        await worker.loops.flush();
        expectDeliveredExactlyOnce(server, userIds(ids));
        await bed.close(worker);
        // The module used connections of its own, made from the instance's settings; the app's stays open.
        expect(appRedis.status).toBe('ready');
      } finally {
        appRedis.disconnect();
      }
    }, 30_000);

    it('after an outage, failed events are listed with their reasons and replayed, selectively', async () => {
      const testing = await bed.instance({ retry: { attempts: 2, minDelayMs: 10, maxDelayMs: 10 } });
      const outcomes = collect(testing);
      server.respondWith(() => ({
        kind: 'status',
        status: 503,
        body: { success: false, message: 'Down for maintenance' },
      }));
      const paid = range(3).map((index) => userEvent(index, 'orderPaid'));
      const signups = range(3, 3).map((index) => userEvent(index, 'signup'));
      for (const event of [...paid, ...signups]) await testing.loops.enqueueEventAsync(event);
      await testing.loops.flush();
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(6).fill('failed'));
      expect(outcomes[0]).toMatchObject({ mayHaveBeenAccepted: true, error: expect.any(LoopsApiError) });

      const failed = await testing.loops.failedEvents();
      expect(failed).toHaveLength(6);
      const byUser = (a: { event: { userId?: string } }, b: { event: { userId?: string } }) =>
        String(a.event.userId).localeCompare(String(b.event.userId));
      expect(failed.map(({ event, reason, attempts }) => ({ event, reason, attempts })).sort(byUser)).toEqual(
        [...paid, ...signups].map((event) => ({
          event,
          reason: 'Loops answered 503: Down for maintenance',
          attempts: 2,
        })),
      );
      // Oldest failures first: the limit keeps the two signups that failed first.
      const failedTimes = failed.map((entry) => entry.failedAt.getTime());
      expect(failedTimes).toEqual([...failedTimes].sort((a, b) => a - b));
      const firstSignups = failed.filter((entry) => entry.eventName === 'signup').slice(0, 2);
      expect(await testing.loops.failedEvents({ eventName: 'signup', limit: 2 })).toEqual(firstSignups);
      expect(await testing.loops.retryFailed({ failedBefore: new Date(0) })).toBe(0);

      server.respondWith(undefined);
      expect(await testing.loops.retryFailed({ eventName: 'orderPaid' })).toBe(3);
      await testing.loops.flush();
      expectDeliveredExactlyOnce(server, userIds(range(3)));
      expect((await testing.loops.failedEvents()).map((entry) => entry.eventName)).toEqual(Array(3).fill('signup'));
      expect(await testing.loops.retryFailed()).toBe(3);
      await testing.loops.flush();
      expectDeliveredExactlyOnce(server, userIds(range(6)));
      expect(await testing.loops.failedEvents()).toEqual([]);
    }, 30_000);

    it('a job taken back from two killed instances, with retry.attempts 3, is still delivered, once', async () => {
      const retry = { attempts: 3, minDelayMs: 10, maxDelayMs: 10 };
      // Never answered while the instances live: each dies with the job in hand, and the job stalls.
      server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
      const producer = await bed.instance({ retry }, { worker: false });
      await producer.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'stalls-twice' });
      for (const requests of [1, 2]) {
        const doomed = await bed.childInstance({ retry });
        await until(() => server.eventRequests().length === requests, `request ${requests} in flight`);
        await doomed.kill();
      }

      server.respondWith(undefined);
      const survivor = await bed.instance({ retry });
      const outcomes = collect(survivor);
      await expect(survivor.loops.flush(30_000)).resolves.toBe(true);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['sent']);
      expect((await bed.queue().getJob('loops-stalls-twice'))?.stalledCounter).toBe(2);
      expectDeliveredExactlyOnce(server, ['user-1']);
    }, 60_000);

    it('a job taken back more often than retry.attempts allows is reported failed, as possibly accepted', async () => {
      const retry = { attempts: 1, minDelayMs: 10, maxDelayMs: 10 };
      server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
      const producer = await bed.instance({ retry }, { worker: false });
      const key = await producer.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'stalls-out' });
      for (const requests of [1, 2]) {
        const doomed = await bed.childInstance({ retry });
        await until(() => server.eventRequests().length === requests, `request ${requests} in flight`);
        await doomed.kill();
      }

      const survivor = await bed.instance({ retry });
      const outcomes = collect(survivor);
      await until(() => outcomes.length === 1, 'the stalled-out job reported');
      // Each killed instance had its request in flight: Loops may hold the event, and a resend must say so.
      expect(outcomes).toEqual([
        expect.objectContaining({ status: 'failed', idempotencyKey: key, mayHaveBeenAccepted: true }),
      ]);
      expect(outcomes[0].status === 'failed' && outcomes[0].error.message).toMatch(/stalled more than allowable limit/);
      expect((await survivor.loops.failedEvents()).map((failed) => failed.idempotencyKey)).toEqual([key]);
      expect(server.eventRequests()).toHaveLength(2);
    }, 60_000);

    it('a job failed for stalling, replayed: no stalls counted any more, and its 409 read as this event, delivered', async () => {
      const producer = await bed.instance({ retry: false }, { worker: false });
      const key = await producer.loops.enqueueEventAsync(userEvent(1));
      // The request of an instance that died mid-request reached Loops...
      await producer.loops.sendEvent(userEvent(1), { idempotencyKey: key });
      // ...and BullMQ's stalled check failed the job once instances had died with it too often, its stalls counted.
      const jobs = bed.queue();
      const raw = new Worker(bed.queueName, undefined, { connection: redis.connection, autorun: false });
      const job = await raw.getNextJob('dead-instance');
      await job?.moveToFailed(new Error('job stalled more than allowable limit'), 'dead-instance');
      await raw.close();
      const client = new Redis(redis.connection);
      try {
        await client.hset(jobs.toKey(`loops-${key}`), 'stc', 4);
      } finally {
        client.disconnect();
      }
      expect((await jobs.getJob(`loops-${key}`))?.stalledCounter).toBe(4);

      const survivor = await bed.instance({ retry: false });
      const outcomes = collect(survivor);
      expect(await survivor.loops.retryFailed()).toBe(1);
      await survivor.loops.flush();
      expect((await jobs.getJob(`loops-${key}`))?.stalledCounter).toBe(0);
      expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', idempotencyKey: key, deduplicated: true })]);
      expect(server.accepted).toHaveLength(1);
    }, 30_000);

    it('Redis answering nothing: a late add is delivered once and reported once, never "failed" as well; flush keeps to its timeout meanwhile', async () => {
      const testing = await bed.instance({}, { enqueueTimeoutMs: 300 });
      const outcomes = collect(testing);
      // Connected first: a command sent to a Redis that then stops answering is one that may have arrived.
      await testing.loops.flush();
      redis.pause();
      const error = await testing.loops
        .enqueueEventAsync(userEvent(1), { idempotencyKey: 'late-1' })
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(LoopsQueueUnavailableError);
      expect(error).toMatchObject({ mayHaveBeenQueued: true, idempotencyKey: 'late-1' });
      expect((error as Error).message).toContain('it may have been queued');
      const held = testing.loops.enqueueEvent(userEvent(2));
      // Twice the enqueue timeout: the held event is neither reported failed nor forgotten.
      await sleep(600);
      expect(outcomes).toEqual([]);
      expect(testing.loops.pendingCount).toBe(1);
      // A flush with a timeout keeps to it, though the held add is still waiting for Redis.
      expect(await testing.loops.flush(300)).toBe(false);

      redis.resume();
      await testing.loops.flush();
      await testing.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'late-1' });
      expectDeliveredExactlyOnce(server, ['user-1', 'user-2']);
      expect(outcomes.map((outcome) => [outcome.status, outcome.status === 'sent' && outcome.deduplicated])).toEqual(
        expect.arrayContaining([
          ['sent', false],
          ['sent', false],
          ['sent', true],
        ]),
      );
      expect(outcomes.filter((outcome) => outcome.status !== 'sent')).toEqual([]);
      expect(outcomes.filter((outcome) => outcome.status === 'sent' && outcome.idempotencyKey === held)).toHaveLength(
        1,
      );
    }, 30_000);

    /**
     * An event added straight to the engine while Redis answers nothing (the add may have landed), then Redis back
     * and the job delivered: what an engine's later `enqueue` of the same event object must cope with.
     */
    async function deliveredLateAdd(idempotencyKey: string, userId: string) {
      const testing = await bed.instance({}, { enqueueTimeoutMs: 300 });
      const outcomes = collect(testing);
      await testing.loops.flush();
      const engine = testing.app.get(LoopsBackgroundDelivery);
      const body = JSON.stringify({ eventName: 'signup', userId });
      const prepared = { eventName: 'signup', idempotencyKey, keyChosenByCaller: false, body };
      redis.pause();
      await expect(engine.add(prepared)).rejects.toMatchObject({ mayHaveBeenQueued: true });
      redis.resume();
      await until(() => outcomes.length === 1, 'the late add delivered');
      return { testing, engine, prepared, outcomes };
    }

    it('an event whose add got no answer, handed to enqueue after its job completed, is reported once', async () => {
      const { testing, engine, prepared, outcomes } = await deliveredLateAdd('late-9', 'user-9');

      // What the interceptor's hand-over does with such an event: the same object, so the job is its own.
      engine.enqueue(prepared);
      await testing.loops.flush();
      expectDeliveredExactlyOnce(server, ['user-9']);
      expect(outcomes).toEqual([
        expect.objectContaining({ status: 'sent', idempotencyKey: 'late-9', deduplicated: false }),
      ]);
    }, 30_000);

    it('a late add whose delivered job retention removed before the add was tried again: the 409 is this event, sent', async () => {
      const { testing, engine, prepared, outcomes } = await deliveredLateAdd('late-10', 'user-10');
      // What retention (a small maxCount under load) may do before the held add is tried again.
      await (await bed.queue().getJob('loops-late-10'))?.remove();

      engine.enqueue(prepared);
      await testing.loops.flush();
      expect(server.accepted.map((accepted) => accepted.idempotencyKey)).toEqual(['late-10']);
      // Not a failed LoopsIdempotencyConflictError inviting a resend: sent, then sent again as deduplicated.
      expect(outcomes.map((outcome) => [outcome.status, outcome.status === 'sent' && outcome.deduplicated])).toEqual([
        ['sent', false],
        ['sent', true],
      ]);
    }, 30_000);

    it('an add held when the app stops, Redis answering nothing: reported failed as possibly queued', async () => {
      const testing = await bed.instance({ shutdownTimeoutMs: 2_000 }, { enqueueTimeoutMs: 200 });
      const outcomes = collect(testing);
      await testing.loops.flush();
      redis.pause();
      const key = testing.loops.enqueueEvent(userEvent(1));
      await bed.close(testing);
      expect(outcomes).toEqual([
        expect.objectContaining({
          status: 'failed',
          idempotencyKey: key,
          mayHaveBeenAccepted: true,
          error: expect.objectContaining({ name: 'LoopsQueueUnavailableError', mayHaveBeenQueued: true }),
        }),
      ]);

      // If the add reached Redis after all, another instance delivers it, once.
      redis.resume();
      const landed = (await bed.queue().getJob(`loops-${key}`)) !== undefined;
      const taking = await bed.instance();
      await taking.loops.flush();
      expectDeliveredExactlyOnce(server, landed ? ['user-1'] : []);
    }, 30_000);

    it('an instance closed while Redis answers nothing still lets its process exit', async () => {
      const child = await bed.childInstance({ shutdownTimeoutMs: 300 });
      await child.enqueue([{ event: userEvent(1) }]);
      await until(() => child.outcomes.length === 1, 'the event delivered');
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      redis.pause();
      await child.close();
      // Within the test's timeout: with BullMQ's worker connections left open, the process stayed up until Redis answered.
      await exited;
    }, 30_000);

    it('queue.maxPending bounds the adds Redis has not acknowledged', async () => {
      const testing = await bed.instance({ queue: { maxPending: 3 } });
      redis.pause();
      for (const index of range(3)) testing.loops.enqueueEvent(userEvent(index));
      expect(() => testing.loops.enqueueEvent(userEvent(3))).toThrow(LoopsQueueFullError);
      redis.resume();
      await testing.loops.flush();
      expectDeliveredExactlyOnce(server, userIds(range(3)));
    }, 30_000);

    it('a decorated route answers only once Redis holds the event', async () => {
      @Controller('orders')
      class OrdersController {
        @Post()
        @EmitLoopsEvent({
          eventName: 'orderPlaced',
          contact: () => ({ userId: 'user-7' }),
          idempotencyKey: () => 'order-7',
        })
        place(): { ok: true } {
          return { ok: true };
        }
      }
      const producer = await bed.instance({}, { worker: false }, { controllers: [OrdersController] });
      redis.pause();
      const responded = request(producer.app.getHttpServer())
        .post('/orders')
        .then((response) => response.status);
      const early = await Promise.race([responded, sleep(300).then(() => 'still waiting')]);
      expect(early).toBe('still waiting');
      redis.resume();
      expect(await responded).toBe(201);
      expect(await bed.queue().getJobState('loops-order-7')).toBe('waiting');
    }, 30_000);

    it('a decorated route whose add Redis leaves unanswered answers, and the event is held: delivered once, reported once', async () => {
      @Controller('orders')
      class OrdersController {
        @Post()
        @EmitLoopsEvent({ eventName: 'orderPlaced', contact: () => ({ userId: 'user-8' }) })
        place(): { ok: true } {
          return { ok: true };
        }
      }
      const testing = await bed.instance({}, { enqueueTimeoutMs: 300 }, { controllers: [OrdersController] });
      const outcomes = collect(testing);
      // Connected first: a command sent to a Redis that then stops answering is one that may have arrived.
      await testing.loops.flush();
      redis.pause();
      expect((await request(testing.app.getHttpServer()).post('/orders')).status).toBe(201);
      // Twice the enqueue timeout after the answer: neither reported dropped nor forgotten.
      await sleep(600);
      expect(outcomes).toEqual([]);
      expect(testing.loops.pendingCount).toBe(1);

      redis.resume();
      await until(() => outcomes.length > 0, 'the held event settled', 15_000);
      await testing.loops.flush();
      expectDeliveredExactlyOnce(server, ['user-8']);
      expect(outcomes).toEqual([
        expect.objectContaining({ status: 'sent', eventName: 'orderPlaced', deduplicated: false }),
      ]);
    }, 30_000);

    it('with Redis unreachable, sendEvent fails saying so, before any request to Loops', async () => {
      const unreachable = await bed.instance(
        { rateLimit: { requestsPerSecond: 10 }, timeoutMs: 1_000 },
        { connection: { host: '127.0.0.1', port: await freePort() } },
      );
      const error = await unreachable.loops.sendEvent(userEvent(1)).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(LoopsQueueUnavailableError);
      expect((error as Error).message).toMatch(
        /^Redis, which keeps the shared Loops rate limit, is unavailable .*; nothing was sent to Loops$/,
      );
      expect(server.requests).toHaveLength(0);
    }, 30_000);
  });
});
