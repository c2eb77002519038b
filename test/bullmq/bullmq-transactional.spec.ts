/**
 * Transactional emails and contact calls with BullMQ delivery, on a real redis-server: a mixed burst from two
 * instances held to one limit through Redis, transactional jobs surviving a graceful restart during an outage and
 * an instance killed mid-request, and their own failed set beside the events'. Each checks the server's audit.
 */
import { LoopsContactsService, type LoopsTransactionalOutcome, LoopsTransactionalService } from '../../lib';
import { expectDeliveredExactlyOnce } from '../support/exactly-once';
import { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from '../support/loops-server';
import type { LoopsTestingApp } from '../support/loops-testing-app';
import { burstContact, burstEmail, burstEvent, burstIds, bySend, limitedRequests } from '../support/mixed-burst';
import { RedisTestServer } from '../support/redis-server';
import { until } from '../support/until';
import { BullMqTestBed } from './support/bullmq-test-bed';
import { describeWithRedis } from '../support/with-redis';

const range = (count: number, from = 0): number[] => Array.from({ length: count }, (_, index) => from + index);
const emailIds = (indexes: number[]): string[] => indexes.map((index) => `email t-${index}`);

function collect(testing: LoopsTestingApp): LoopsTransactionalOutcome[] {
  const outcomes: LoopsTransactionalOutcome[] = [];
  testing.app.get(LoopsTransactionalService).deliveries$.subscribe((outcome) => outcomes.push(outcome));
  return outcomes;
}

const transactionalOf = (testing: LoopsTestingApp) => testing.app.get(LoopsTransactionalService);

describeWithRedis('transactional emails and contacts with BullMQ', () => {
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
    await bed.tearDown();
    await server.close();
  });

  describe('one limit for two instances', () => {
    const LIMIT = 20;

    beforeEach(async () => {
      server = await LoopsCompatibleServer.start({ rateLimitPerSecond: LIMIT });
      bed = new BullMqTestBed(redis, server);
    });

    it('a mixed burst from two instances, twice the limit: each once, every update landed, 0 429s', async () => {
      const options = { rateLimit: { requestsPerSecond: LIMIT }, queue: { concurrency: 8 } };
      const instances = await Promise.all([bed.instance(options), bed.instance(options)]);
      const each = 15;
      const work = instances.flatMap((testing, instance) =>
        range(each, instance * each).flatMap((index) => [
          testing.loops.enqueueEventAsync(burstEvent(index)),
          transactionalOf(testing).enqueueAsync(burstEmail(index)),
          testing.app.get(LoopsContactsService).updateContact(burstContact(index)),
        ]),
      );
      await Promise.all(work);
      await Promise.all(instances.map((testing) => testing.loops.flush(60_000)));

      expectDeliveredExactlyOnce(server, burstIds(2 * each), bySend);
      const lost = range(2 * each).filter(
        (index) => server.contacts.find({ email: `c-${index}@example.com` })?.burst !== index,
      );
      expect(lost).toEqual([]);
      const requests = limitedRequests(server);
      expect(requests).toHaveLength(6 * each);
      expect(requests.filter((request) => request.status === 429)).toEqual([]);
      expect(server.maxInAnyWindow(1_000, requests)).toBeLessThanOrEqual(LIMIT);
    }, 60_000);
  });

  describe.each(LOOPS_IDEMPOTENCY_RULES)('when Loops follows the %s idempotency rule', (idempotencyRule) => {
    beforeEach(async () => {
      server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0, idempotencyRule });
      bed = new BullMqTestBed(redis, server);
    });

    it('a graceful restart in the middle of backoffs while Loops answers 503: the next instance sends each email once', async () => {
      const options = { retry: { attempts: 8, minDelayMs: 400, maxDelayMs: 3_000 }, shutdownTimeoutMs: 500 };
      server.respondWith(() => ({ kind: 'status', status: 503 }));
      const stopping = await bed.instance(options);
      const reported = collect(stopping);
      const ids = range(6);
      const keys = await Promise.all(ids.map((index) => transactionalOf(stopping).enqueueAsync(burstEmail(index))));
      await until(
        () => keys.every((key) => server.requests.some((request) => request.idempotencyKey === key)),
        'a first 503 for every email',
      );
      await bed.close(stopping);
      expect(reported).toEqual([]);
      expect((await bed.queue().getJobCounts('failed')).failed).toBe(0);

      server.respondWith(undefined);
      const taking = await bed.instance(options);
      const outcomes = collect(taking);
      await expect(taking.loops.flush(30_000)).resolves.toBe(true);
      expectDeliveredExactlyOnce(server, emailIds(ids), bySend);
      expect(outcomes.map((outcome) => `${outcome.kind} ${outcome.status}`)).toEqual(
        Array(6).fill('transactional sent'),
      );
    }, 60_000);

    it('an instance killed (SIGKILL) mid-request: another process sends its emails, each once', async () => {
      server.respondWith(() => ({ kind: 'accept-then-delay', ms: 10_000 }));
      const doomed = await bed.childInstance({ queue: { concurrency: 4 } });
      const ids = range(8);
      // Generated keys: only the job's history can tell the survivor that a 409 is its own email's.
      await doomed.enqueue(ids.map((index) => ({ transactional: burstEmail(index) })));
      await until(() => server.accepted.length >= 4, 'four emails accepted, their answers held back');
      server.respondWith(undefined);
      // The second instance runs before the crash, in a process of its own, and takes the jobs nobody holds.
      const survivor = await bed.childInstance({ queue: { concurrency: 4 } });
      await until(() => survivor.outcomes.length === 4, 'the survivor sending the four emails nobody held');
      await doomed.kill();

      await until(() => survivor.outcomes.length === 8, 'an outcome for each of the 8 emails in the survivor');
      expect(survivor.outcomes.map((outcome) => `${outcome.kind} ${outcome.status}`)).toEqual(
        Array(8).fill('transactional sent'),
      );
      expectDeliveredExactlyOnce(server, emailIds(ids), bySend);
      const cutShort = server.requests.filter((request) => request.answeredAt === undefined);
      expect(cutShort.length).toBeGreaterThanOrEqual(4);
      expect(server.accepted.every((accepted) => accepted.path === '/api/v1/transactional')).toBe(true);
      await survivor.close();
    }, 60_000);
  });

  describe('the failed set', () => {
    beforeEach(async () => {
      server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
      bed = new BullMqTestBed(redis, server);
    });

    it('failed emails are listed and replayed by the transactional service only, events by the events service only', async () => {
      const testing = await bed.instance({ retry: false });
      const transactional = transactionalOf(testing);
      server.respondWith(() => ({ kind: 'status', status: 500 }));
      const emailKeys = await Promise.all(range(3).map((index) => transactional.enqueueAsync(burstEmail(index))));
      const eventKey = await testing.loops.enqueueEventAsync(burstEvent(0));
      await testing.loops.flush();

      const failedEmails = await transactional.failedEmails();
      expect(failedEmails.map((failed) => failed.idempotencyKey).sort()).toEqual([...emailKeys].sort());
      expect(failedEmails[0]).toMatchObject({
        transactionalId: 'cburst',
        transactional: burstEmail(Number(/\d+/.exec(failedEmails[0].transactional.email)?.[0])),
        reason: expect.stringContaining('500'),
        attempts: 1,
      });
      expect((await testing.loops.failedEvents()).map((failed) => failed.idempotencyKey)).toEqual([eventKey]);
      expect(await transactional.failedEmails({ transactionalId: 'other' })).toEqual([]);

      server.respondWith(undefined);
      expect(await testing.loops.retryFailed()).toBe(1);
      await testing.loops.flush();
      expect(server.accepted.map((accepted) => accepted.path)).toEqual(['/api/v1/events/send']);
      expect(await transactional.retryFailed({ limit: 2 })).toBe(2);
      expect(await transactional.retryFailed()).toBe(1);
      await testing.loops.flush();
      expectDeliveredExactlyOnce(server, ['event e-0', ...emailIds(range(3))], bySend);
    }, 30_000);
  });
});
