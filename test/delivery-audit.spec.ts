/**
 * The audit behind every "exactly once" assertion can go red: senders broken on purpose, each the kind of bug
 * that would deliver an event twice, are caught by it, while the real sender under the same faults is not.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import {
  type LoopsTransport,
  type LoopsTransportRequest,
  type LoopsTransportResponse,
  type SendEventInput,
} from '../lib';
import { byUserId, expectDeliveredExactlyOnce } from './support/exactly-once';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';
import { RedisTestServer } from './support/redis-server';
import { describeWithRedis } from './support/with-redis';

const event: SendEventInput = { eventName: 'orderPaid', userId: 'user-1' };

/** A transport that calls `send` of the real one as `misbehave` says. */
function brokenTransport(
  misbehave: (send: LoopsTransport['send'], request: LoopsTransportRequest) => Promise<LoopsTransportResponse>,
) {
  return (real: LoopsTransport): LoopsTransport => ({
    send: (request) => misbehave((next) => real.send(next), request),
  });
}

let server: LoopsCompatibleServer;
const apps: LoopsTestingApp[] = [];

async function boot(transport?: (real: LoopsTransport) => LoopsTransport): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(server, {}, transport ? { transport } : {});
  apps.push(testing);
  return testing;
}

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((testing) => testing.app.close()));
  await server.close();
});

it('the real sender, with an answer lost after acceptance: a clean audit', async () => {
  const { loops } = await boot();
  server.script({ kind: 'accept-then-drop' });
  await loops.sendEvent(event);
  expectDeliveredExactlyOnce(server, ['user-1']);
});

it('a sender that takes a fresh key for each retry: the event accepted twice, under two keys', async () => {
  const { loops } = await boot(
    brokenTransport((send, request) =>
      send({ ...request, headers: { ...request.headers, 'Idempotency-Key': randomUUID() } }),
    ),
  );
  server.script({ kind: 'accept-then-drop' });
  await loops.sendEvent(event);
  const audit = server.audit(byUserId);
  expect(audit.acceptedTwice).toEqual([{ logicalId: 'user-1', keys: [expect.any(String), expect.any(String)] }]);
  expect(() => expectDeliveredExactlyOnce(server, ['user-1'])).toThrow();
});

it('a sender that sends once more after an answered acceptance: a request after the acknowledgement', async () => {
  const { loops } = await boot(
    brokenTransport(async (send, request) => {
      await send(request);
      return send(request);
    }),
  );
  // What the library makes of the second answer (a conflict) is beside the point here.
  await loops.sendEvent(event).catch(() => undefined);
  expect(server.audit(byUserId).sentAfterAcknowledged).toHaveLength(1);
  expect(server.audit(byUserId).acceptedTwice).toEqual([]);
  expect(() => expectDeliveredExactlyOnce(server, ['user-1'])).toThrow();
});

it('two senders of one event at once: two requests with one key open together', async () => {
  server.respondWith(() => ({ kind: 'delay', ms: 50 }));
  const { loops } = await boot(
    brokenTransport(async (send, request) => (await Promise.all([send(request), send(request)]))[0]),
  );
  await loops.sendEvent(event);
  expect(server.audit(byUserId).concurrentWithSameKey).toHaveLength(1);
  expect(() => expectDeliveredExactlyOnce(server, ['user-1'])).toThrow();
});

describeWithRedis('a job processed by two workers', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('one event queued as two jobs, taken by two instances: the audit sees the second request', async () => {
    const queueName = `audit-${randomUUID()}`;
    const delivery = { queue: 'bullmq' as const, connection: redis.connection, queueName };
    const first = await createLoopsTestingApp(server, { delivery });
    const second = await createLoopsTestingApp(server, { delivery });
    apps.push(first, second);
    // What a broken enqueue would do: the same event and key under two job ids.
    const queue = new Queue(queueName, { connection: redis.connection });
    const data = {
      eventName: 'orderPaid',
      idempotencyKey: 'order-1',
      keyChosenByCaller: true,
      body: JSON.stringify(event),
      earlier: 'none',
      requests: 0,
      enqueueToken: 'x',
    };
    await Promise.all([
      queue.add('orderPaid', data, { jobId: 'copy-1' }),
      queue.add('orderPaid', data, { jobId: 'copy-2' }),
    ]);
    await first.loops.flush();
    await queue.close();
    const audit = server.audit(byUserId);
    expect(audit.sentAfterAcknowledged.length + audit.concurrentWithSameKey.length).toBe(1);
    expect(() => expectDeliveredExactlyOnce(server, ['user-1'])).toThrow();
  }, 30_000);
});
