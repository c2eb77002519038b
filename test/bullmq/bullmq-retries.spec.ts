/**
 * In durable mode BullMQ does the retrying: one job attempt is one request, with the `retry` option's backoff,
 * a 429 puts the job back without spending an attempt, and a definite refusal fails the job at once.
 */
import { firstValueFrom } from 'rxjs';
import { LoopsApiError, LoopsAuthError, type LoopsDeliveryOutcome, LoopsIdempotencyConflictError } from '../../lib';
import { expectDeliveredExactlyOnce } from '../support/exactly-once';
import { LoopsCompatibleServer } from '../support/loops-server';
import type { LoopsTestingApp } from '../support/loops-testing-app';
import { RedisTestServer } from '../support/redis-server';
import { until } from '../support/until';
import { BullMqTestBed, userEvent } from './support/bullmq-test-bed';
import { describeWithRedis } from '../support/with-redis';

function collect(testing: LoopsTestingApp): LoopsDeliveryOutcome[] {
  const outcomes: LoopsDeliveryOutcome[] = [];
  testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  return outcomes;
}

/** Milliseconds between consecutive requests the server received. */
const gaps = (server: LoopsCompatibleServer): number[] =>
  server
    .eventRequests()
    .flatMap((request, index, all) => (index === 0 ? [] : [request.receivedAt - all[index - 1].receivedAt]));

describeWithRedis('BullMQ retries', () => {
  let redis: RedisTestServer;
  let server: LoopsCompatibleServer;
  let bed: BullMqTestBed;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    bed = new BullMqTestBed(redis, server);
  });
  afterEach(async () => {
    await bed.tearDown();
    await server.close();
  });

  it('retries 503s with the retry option backoff, exponential, one request per job attempt', async () => {
    const testing = await bed.instance({ retry: { attempts: 4, minDelayMs: 300, maxDelayMs: 500 } });
    server.script(...Array(3).fill({ kind: 'status', status: 503 }));
    const outcomes = collect(testing);
    await testing.loops.enqueueEventAsync(userEvent(1));
    await testing.loops.flush();
    expect(server.eventRequests().map((request) => request.status)).toEqual([503, 503, 503, 200]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', attempts: 4 })]);
    // Equal jitter: at least half of min(maxDelayMs, minDelayMs * 2^(n-1)) before attempt n + 1.
    const [first, second, third] = gaps(server);
    expect(first).toBeGreaterThanOrEqual(150);
    expect(second).toBeGreaterThanOrEqual(250);
    expect(third).toBeGreaterThanOrEqual(250);
  }, 30_000);

  it("waits at least a 503's Retry-After before the next attempt", async () => {
    const testing = await bed.instance({ retry: { attempts: 2, minDelayMs: 10, maxDelayMs: 10 } });
    server.script({ kind: 'status', status: 503, headers: { 'retry-after': '2' } });
    await testing.loops.enqueueEventAsync(userEvent(1));
    await testing.loops.flush();
    expect(server.eventRequests().map((request) => request.status)).toEqual([503, 200]);
    expect(gaps(server)[0]).toBeGreaterThanOrEqual(2_000);
  }, 30_000);

  it('a 429 puts the job back without spending an attempt: with a single attempt, it is still delivered', async () => {
    const testing = await bed.instance({ retry: false });
    server.script({ kind: 'status', status: 429 }, { kind: 'status', status: 429 });
    const outcomes = collect(testing);
    await testing.loops.enqueueEventAsync(userEvent(1));
    await testing.loops.flush();
    expect(server.eventRequests().map((request) => request.status)).toEqual([429, 429, 200]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', attempts: 3, deduplicated: false })]);
    // Loops' window is waited out each time.
    for (const gap of gaps(server)) expect(gap).toBeGreaterThanOrEqual(1_000);
  }, 30_000);

  it.each([
    [400, LoopsApiError],
    [401, LoopsAuthError],
    [413, LoopsApiError],
  ])(
    'a %i fails the job at once, with its reason in the failed set and on deliveries$',
    async (status, errorClass) => {
      const testing = await bed.instance({ retry: { attempts: 5, minDelayMs: 10, maxDelayMs: 10 } });
      server.respondWith(() => ({ kind: 'status', status, body: { success: false, message: 'No' } }));
      const failed = firstValueFrom(testing.loops.deliveries$);
      const key = await testing.loops.enqueueEventAsync(userEvent(1));
      const outcome = await failed;
      expect(outcome).toMatchObject({ status: 'failed', idempotencyKey: key, attempts: 1, mayHaveBeenAccepted: false });
      expect((outcome as { error: Error }).error).toBeInstanceOf(errorClass);
      expect(server.eventRequests()).toHaveLength(1);
      await until(async () => (await bed.queue().getJobCounts('failed')).failed === 1, 'the job in the failed set');
      const [job] = await bed.queue().getFailed();
      expect(job.failedReason).toBe(
        status === 401 ? 'Loops rejected the API key (401); check the apiKey option' : `Loops answered ${status}: No`,
      );
    },
    30_000,
  );

  it('an answer lost after acceptance: the next job attempt hears 409 and reports it delivered, deduplicated', async () => {
    const testing = await bed.instance({ retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 } });
    server.script({ kind: 'accept-then-drop' });
    const outcomes = collect(testing);
    await testing.loops.enqueueEventAsync(userEvent(1));
    await testing.loops.flush();
    // The first was accepted and its connection cut before the answer.
    expect(server.eventRequests().map((request) => request.status)).toEqual([undefined, 409]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', attempts: 2, deduplicated: true })]);
    expectDeliveredExactlyOnce(server, ['user-1']);
  }, 30_000);

  it('a 409 after a 429, in another job attempt, is a conflict: the key belongs to another event', async () => {
    const testing = await bed.instance({ retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 } });
    const taken = await testing.loops.sendEvent(userEvent(9, 'other'), { idempotencyKey: 'order-1' });
    expect(taken.deduplicated).toBe(false);
    server.script({ kind: 'status', status: 429 });
    const failed = firstValueFrom(testing.loops.deliveries$);
    await testing.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'order-1' });
    await expect(failed).resolves.toMatchObject({
      status: 'failed',
      error: expect.any(LoopsIdempotencyConflictError),
      mayHaveBeenAccepted: false,
    });
    expect(server.eventRequests().map((request) => request.status)).toEqual([200, 429, 409]);
    expect(server.accepted.map((accepted) => accepted.body.userId)).toEqual(['user-9']);
  }, 30_000);

  it('in dry-run mode the worker logs the event instead of sending it', async () => {
    const testing = await bed.instance({ dryRun: true });
    const outcomes = collect(testing);
    const key = await testing.loops.enqueueEventAsync(userEvent(1));
    await testing.loops.flush();
    expect(server.requests).toHaveLength(0);
    expect(outcomes).toEqual([
      {
        status: 'sent',
        kind: 'event',
        eventName: 'bulk',
        idempotencyKey: key,
        attempts: 0,
        deduplicated: false,
        dryRun: true,
      },
    ]);
    expect(
      testing.logger.texts('log').filter((line) => line.includes(`[dry run] Loops event "bulk" (${key})`)),
    ).toHaveLength(1);
  }, 30_000);

  it('keeps at most retention.completed.maxCount completed jobs; a key enqueued again after that is still sent once', async () => {
    const testing = await bed.instance({}, { retention: { completed: { maxCount: 2 } } });
    for (let index = 0; index < 5; index++) {
      await testing.loops.enqueueEventAsync(userEvent(index), { idempotencyKey: `kept-${index}` });
      await testing.loops.flush();
    }
    const queue = bed.queue();
    expect((await queue.getCompleted()).map((job) => job.id).sort()).toEqual(['loops-kept-3', 'loops-kept-4']);
    // The job for kept-0 is gone: a new one is made, and Loops' own idempotency stops a second delivery.
    const outcomes = collect(testing);
    await testing.loops.enqueueEventAsync(userEvent(0), { idempotencyKey: 'kept-0' });
    await testing.loops.flush();
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'sent', idempotencyKey: 'kept-0', deduplicated: true }),
    ]);
    // Sent again on purpose, so the audit's "request after an acknowledged acceptance" is expected here.
    expect(server.audit((body) => String(body.userId)).acceptedTwice).toEqual([]);
    expect(server.accepted).toHaveLength(5);
  }, 30_000);

  it('hands BullMQ the documented retention by default, and each option given', async () => {
    const defaults = await bed.instance({}, { worker: false });
    await defaults.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'default-retention' });
    const given = await bed.instance(
      {},
      {
        worker: false,
        retention: { completed: { maxAgeMs: 60_000, maxCount: 5 }, failed: { maxAgeMs: 120_000, maxCount: 7 } },
      },
    );
    await given.loops.enqueueEventAsync(userEvent(2), { idempotencyKey: 'given-retention' });
    const queue = bed.queue();
    // Completed: 24 h and 10 000 jobs; failed: 7 days, however many.
    const byDefault = (await queue.getJob('loops-default-retention'))?.opts;
    expect(byDefault?.removeOnComplete).toEqual({ age: 86_400, count: 10_000 });
    expect(byDefault?.removeOnFail).toEqual({ age: 604_800 });
    expect((await queue.getJob('loops-given-retention'))?.opts).toMatchObject({
      removeOnComplete: { age: 60, count: 5 },
      removeOnFail: { age: 120, count: 7 },
    });
  }, 30_000);

  it('removes failed jobs older than retention.failed.maxAgeMs', async () => {
    const testing = await bed.instance({ retry: false }, { retention: { failed: { maxAgeMs: 1_000 } } });
    server.respondWith(() => ({ kind: 'status', status: 400, body: { success: false, message: 'No' } }));
    await testing.loops.enqueueEventAsync(userEvent(1), { idempotencyKey: 'old' });
    await testing.loops.flush();
    const queue = bed.queue();
    expect(await queue.getJobState('loops-old')).toBe('failed');
    // BullMQ prunes by age when a job finishes: another failure, more than a second later, removes the first.
    await until(
      async () => {
        await testing.loops.enqueueEventAsync(userEvent(2), { idempotencyKey: `new-${Date.now()}` });
        await testing.loops.flush();
        return (await queue.getJobState('loops-old')) === 'unknown';
      },
      'the old failed job to be pruned',
      10_000,
    );
    expect(await testing.loops.failedEvents()).not.toContainEqual(expect.objectContaining({ idempotencyKey: 'old' }));
  }, 30_000);
});
