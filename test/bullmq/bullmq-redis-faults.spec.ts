/**
 * BullMQ delivery when Redis itself fails: out of memory (or read-only, or a full disk) for one write or for a
 * while, and gone in the middle of a replay. Each checks the server's audit and the outcomes against README's
 * promises.
 */
import { Job, Queue } from 'bullmq';
import { Redis, ReplyError } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoopsDeliveryOutcome } from '../../lib';
import { expectDeliveredExactlyOnce } from '../support/exactly-once';
import { LoopsCompatibleServer } from '../support/loops-server';
import type { LoopsTestingApp } from '../support/loops-testing-app';
import { RedisTestServer } from '../support/redis-server';
import { until } from '../support/until';
import { describeWithRedis } from '../support/with-redis';
import { BullMqTestBed, userEvent } from './support/bullmq-test-bed';

function collect(testing: LoopsTestingApp): LoopsDeliveryOutcome[] {
  const outcomes: LoopsDeliveryOutcome[] = [];
  testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  return outcomes;
}

/**
 * Redis refusing one write (OOM, MISCONF on a full disk, NOREPLICAS, READONLY during a failover) right after a
 * request: the job's record of that request is not written, BullMQ fails the attempt and retries the job.
 */
function refuseTheFirstRecordOfAnAttempt(): void {
  const updateData = Job.prototype.updateData;
  let refused = false;
  jest.spyOn(Job.prototype, 'updateData').mockImplementation(function (this: Job, ...args) {
    if (refused) return updateData.apply(this, args);
    refused = true;
    return Promise.reject(new ReplyError("OOM command not allowed when used memory > 'maxmemory'. script: updateData"));
  });
}

describeWithRedis('BullMQ delivery when Redis fails', () => {
  let redis: RedisTestServer;
  let server: LoopsCompatibleServer;
  let bed: BullMqTestBed;
  let admin: Redis | undefined;

  beforeEach(async () => {
    redis = await RedisTestServer.start({ durable: true });
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    bed = new BullMqTestBed(redis, server);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    redis.resume();
    admin?.disconnect();
    admin = undefined;
    await bed.tearDown();
    await server.close();
    await redis.stop();
  });

  it('a held add that landed late, then refused by a Redis out of memory: never reported "not queued" once delivered', async () => {
    admin = new Redis(redis.connection);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const producer = await bed.instance({}, { worker: false, enqueueTimeoutMs: 300 });
    const outcomes = collect(producer);
    // Connected first: a command sent to a Redis that then stops answering is one that may have arrived.
    await producer.loops.flush();

    redis.pause();
    const key = producer.loops.enqueueEvent(userEvent(1));
    // Past enqueueTimeoutMs: the add is held, and tried again after a short wait.
    await sleep(450);
    expect(outcomes).toEqual([]);
    redis.resume();
    // Redis answers the first add after all: the job is in Redis...
    await until(async () => (await admin!.exists(`bull:${bed.queueName}:loops-${key}`)) === 1, 'the late add landed');
    // ...and then Redis runs out of memory before the held add is tried again: that add is refused (OOM).
    await admin.config('SET', 'maxmemory', '1');
    await until(() => outcomes.length > 0 || producer.loops.pendingCount === 0, 'the held add settled', 5_000).catch(
      () => undefined,
    );
    await admin.config('SET', 'maxmemory', '0');

    // A worker pod delivers the job the first add left in Redis.
    const worker = await bed.instance();
    const delivered = collect(worker);
    await until(() => delivered.length === 1, 'the job delivered by the worker pod');
    await producer.loops.flush(10_000);
    expectDeliveredExactlyOnce(server, ['user-1']);
    expect(delivered).toEqual([expect.objectContaining({ status: 'sent', idempotencyKey: key })]);
    // README: "reported `dropped`/failed only when it was certainly not queued". This one was queued, and delivered.
    expect(
      outcomes.map((outcome) => ({
        status: outcome.status,
        mayHaveBeenAccepted: outcome.status === 'failed' ? outcome.mayHaveBeenAccepted : undefined,
        message: outcome.status === 'sent' ? undefined : outcome.error.message,
      })),
    ).toEqual([]);
  }, 30_000);

  it('a write Redis refuses once after a 503: the retried job is delivered, and not reported failed as well', async () => {
    const testing = await bed.instance({ retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 } });
    const outcomes = collect(testing);
    let requests = 0;
    server.respondWith(() => (requests++ === 0 ? { kind: 'status', status: 503 } : undefined));
    refuseTheFirstRecordOfAnAttempt();
    const key = await testing.loops.enqueueEventAsync(userEvent(1));
    await until(() => outcomes.some((outcome) => outcome.status === 'sent'), 'the event delivered');
    await testing.loops.flush();
    expectDeliveredExactlyOnce(server, ['user-1']);
    // README: one outcome per background event; a `failed` one tells the app to keep the event and send it again.
    expect(outcomes.map((outcome) => [outcome.status, 'idempotencyKey' in outcome && outcome.idempotencyKey])).toEqual([
      ['sent', key],
    ]);
  }, 30_000);

  it('a write Redis refuses once after an answer was lost: the next 409 is this event, not a conflict', async () => {
    const testing = await bed.instance({ retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 } });
    const outcomes = collect(testing);
    let requests = 0;
    // Accepted, answer lost: only the job's record of this request can tell the retry that a 409 is its own.
    server.respondWith(() => (requests++ === 0 ? { kind: 'accept-then-drop' } : undefined));
    refuseTheFirstRecordOfAnAttempt();
    const key = await testing.loops.enqueueEventAsync(userEvent(1));
    await until(() => outcomes.length > 0 && requests >= 2, 'an outcome after the retry');
    await testing.loops.flush();
    expectDeliveredExactlyOnce(server, ['user-1']);
    // Loops has it: never reported failed with a conflict (which invites a send under a new key, a duplicate)...
    const conflicts = outcomes.filter(
      (outcome) => outcome.status === 'failed' && outcome.error.name === 'LoopsIdempotencyConflictError',
    );
    expect(conflicts.map((outcome) => [outcome.status, outcome.status === 'failed' && outcome.error.message])).toEqual(
      [],
    );
    // ...but sent, as the 409 of its own earlier request.
    expect(outcomes.at(-1)).toMatchObject({ status: 'sent', idempotencyKey: key, deduplicated: true });
  }, 30_000);

  it('retryFailed with Redis gone between reading the failed set and replaying it: does not resolve as if done', async () => {
    const testing = await bed.instance({ retry: { attempts: 1, minDelayMs: 10, maxDelayMs: 10 } });
    server.respondWith(() => ({ kind: 'status', status: 503 }));
    for (const index of [1, 2, 3]) await testing.loops.enqueueEventAsync(userEvent(index));
    await testing.loops.flush();
    expect(await testing.loops.failedEvents()).toHaveLength(3);
    server.respondWith(undefined);

    // Redis crashes right after the failed set was read, before the jobs are moved back.
    const getFailed = Queue.prototype.getFailed;
    jest.spyOn(Queue.prototype, 'getFailed').mockImplementation(async function (this: Queue, ...args) {
      const jobs = await getFailed.apply(this, args);
      await redis.kill();
      return jobs;
    });
    const settled = await testing.loops.retryFailed().then(
      (count) => ({ count }),
      (error: Error) => ({ error: error.name }),
    );
    jest.restoreAllMocks();
    await redis.restart();
    await until(async () => (await testing.loops.failedEvents().catch(() => undefined)) !== undefined, 'Redis back');
    const stillFailed = await testing.loops.failedEvents();
    // Nothing was replayed and Redis was unreachable: resolving (with 0, "nothing to retry") hides it.
    expect(stillFailed).toHaveLength(3);
    // (A LoopsQueueUnavailableError would fit README's table; any rejection says the replay did not happen.)
    expect('error' in settled ? 'rejected' : settled).toBe('rejected');
  }, 30_000);
});
