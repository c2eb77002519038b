import { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { buildLoopsWebhookPayload, postLoopsWebhook } from '../../lib/testing';
import { RedisTestServer } from '../support/redis-server';
import { describeWithRedis } from '../support/with-redis';
import { gate, openAllGates } from './support/gate';
import { AuditTrail, RecordingHandlers } from './support/recording-handlers';
import { createWebhookTestApp, newWebhookSecret, type Platform } from './support/webhook-test-app';

describeWithRedis('webhook deduplication shared in Redis (BullMQ delivery)', () => {
  let redis: RedisTestServer;
  const apps: INestApplication[] = [];
  let secret: string;
  let queueName: string;

  async function instance(platform: Platform, connection: object = redis.connection) {
    const created = await createWebhookTestApp({
      platform,
      providers: [RecordingHandlers, AuditTrail],
      webhooks: { secret },
      // A short shutdown: the BullMQ delivery of an instance whose Redis is gone would wait 10 s by default.
      loops: { delivery: { queue: 'bullmq', connection, queueName }, shutdownTimeoutMs: 200 },
    });
    apps.push(created.app);
    return { app: created.app, logger: created.logger, handlers: created.app.get(RecordingHandlers) };
  }

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(() => redis.stop());
  beforeEach(() => {
    secret = newWebhookSecret();
    queueName = `webhooks-${Math.random().toString(36).slice(2)}`;
  });
  afterEach(async () => {
    openAllGates();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('a redelivery to another instance runs only the handler that failed', async () => {
    const [a, b] = [await instance('express'), await instance('fastify')];
    a.handlers.failNext('stopEmailing');
    const payload = buildLoopsWebhookPayload('email.hardBounced');

    expect((await postLoopsWebhook(a.app, payload, { webhookId: 'msg_shared' })).status).toBe(500);
    expect(a.handlers.names()).toEqual(['hardBounced email.hardBounced']);

    expect((await postLoopsWebhook(b.app, payload, { webhookId: 'msg_shared' })).status).toBe(204);
    expect(b.handlers.names()).toEqual(['stopEmailing email.hardBounced']);
    // The "*" handler succeeded on the first instance, so the second did not run it.
    expect(a.app.get(AuditTrail).seen).toEqual(['email.hardBounced']);
    expect(b.app.get(AuditTrail).seen).toEqual([]);

    expect((await postLoopsWebhook(a.app, payload, { webhookId: 'msg_shared' })).status).toBe(204);
    expect(a.handlers.handled).toHaveLength(1);
    expect(b.handlers.handled).toHaveLength(1);
  });

  it('while one instance runs a handler, a delivery of the same message to the other gets 409', async () => {
    const [a, b] = [await instance('express'), await instance('express')];
    const running = gate();
    const finished = gate();
    a.handlers.during(async () => {
      running.open();
      await finished.wait;
    });
    const payload = buildLoopsWebhookPayload('contact.created');
    const first = postLoopsWebhook(a.app, payload, { webhookId: 'msg_both' });
    await running.wait;
    expect((await postLoopsWebhook(b.app, payload, { webhookId: 'msg_both' })).status).toBe(409);
    finished.open();
    expect((await first).status).toBe(204);
    expect((await postLoopsWebhook(b.app, payload, { webhookId: 'msg_both' })).status).toBe(204);
    expect([...a.handlers.names(), ...b.handlers.names()]).toEqual(['contactCreated contact.created']);
  });

  it('200 messages spread over two instances: every handler runs once per message', async () => {
    const [a, b] = [await instance('express'), await instance('fastify')];
    const ids = Array.from({ length: 200 }, (_, index) => `msg_${index}`);
    const payload = buildLoopsWebhookPayload('email.hardBounced');
    // Each message goes to both instances at once, as two overlapping deliveries would.
    const results = await Promise.all(
      ids.flatMap((webhookId) => [
        postLoopsWebhook(a.app, payload, { webhookId }),
        postLoopsWebhook(b.app, payload, { webhookId }),
      ]),
    );
    expect(results.every((result) => result.status === 204 || result.status === 409)).toBe(true);
    // Two overlapping deliveries can each hold a claim the other needs, and both answer 409: Loops delivers the
    // message again later, as here, and then it completes.
    const unfinished = ids.filter(
      (_, index) => results[2 * index].status !== 204 && results[2 * index + 1].status !== 204,
    );
    for (const webhookId of unfinished) {
      expect((await postLoopsWebhook(a.app, payload, { webhookId })).status).toBe(204);
    }
    const runs = [...a.handlers.handled, ...b.handlers.handled].map((entry) => `${entry.handler} ${entry.webhookId}`);
    expect(runs.sort()).toEqual(ids.flatMap((id) => [`hardBounced ${id}`, `stopEmailing ${id}`]).sort());
    const audited = [...a.app.get(AuditTrail).seen, ...b.app.get(AuditTrail).seen];
    expect(audited).toHaveLength(200);
  }, 30_000);

  it('answers 503 when a handler succeeded but Redis could not record its success', async () => {
    const { app, logger, handlers } = await instance('express');
    const admin = new Redis(redis.connection);
    // Redis stops taking writes once the handler has claimed the message, so only the record of its success fails.
    handlers.during(() => admin.call('CLIENT', 'PAUSE', '10000', 'WRITE').then(() => undefined));
    try {
      const result = await postLoopsWebhook(app, buildLoopsWebhookPayload('contact.created'));
      expect(result.status).toBe(503);
      expect(handlers.names()).toEqual(['contactCreated contact.created']);
      expect(logger.texts('error')).toContainEqual(
        expect.stringContaining(
          'handler RecordingHandlers.contactCreated succeeded, but the deduplication store failed',
        ),
      );
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
    }
  }, 20_000);

  it('answers 503 and runs nothing while Redis does not answer', async () => {
    const { app, logger, handlers } = await instance('express');
    expect((await postLoopsWebhook(app, buildLoopsWebhookPayload('email.hardBounced'))).status).toBe(204);
    const admin = new Redis(redis.connection);
    try {
      // Writes wait while Redis is paused: the store's commands time out, as with a Redis that is gone.
      await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
      const result = await postLoopsWebhook(app, buildLoopsWebhookPayload('email.hardBounced'));
      expect(result.status).toBe(503);
      expect(handlers.handled).toHaveLength(2);
      expect(logger.texts('error')).toContainEqual(expect.stringContaining('the deduplication store failed'));
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
    }
  }, 20_000);
});
