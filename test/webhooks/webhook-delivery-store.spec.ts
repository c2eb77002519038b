import { Redis } from 'ioredis';
import { MemoryWebhookDeliveryStore } from '../../lib/webhooks/memory-webhook-delivery-store';
import { RedisWebhookDeliveryStore } from '../../lib/webhooks/redis-webhook-delivery-store';
import type { WebhookDeliveryStore } from '../../lib/webhooks/webhook-delivery-store';
import { RedisTestServer } from '../support/redis-server';
import { describeWithRedis } from '../support/with-redis';

const OPTIONS = { ttlSeconds: 3_600, claimSeconds: 60, maxEntries: 1_000 };

/** The contract both stores keep. */
function behavesAsAStore(create: () => Promise<WebhookDeliveryStore>): void {
  let store: WebhookDeliveryStore;
  beforeEach(async () => {
    store = await create();
  });
  afterEach(() => store.close());

  it('claims a pair once; a second claim while it runs is busy, and other pairs are free', async () => {
    expect(await store.claim('msg_1', 'A.handle', 't1')).toBe('claimed');
    expect(await store.claim('msg_1', 'A.handle', 't2')).toBe('busy');
    expect(await store.claim('msg_1', 'B.handle', 't3')).toBe('claimed');
    expect(await store.claim('msg_2', 'A.handle', 't4')).toBe('claimed');
  });

  it('remembers a success: the pair is done from then on', async () => {
    await store.claim('msg_1', 'A.handle', 't1');
    await store.complete('msg_1', 'A.handle');
    expect(await store.claim('msg_1', 'A.handle', 't2')).toBe('done');
  });

  it('forgets a failure, so the next delivery runs the handler again', async () => {
    await store.claim('msg_1', 'A.handle', 't1');
    await store.release('msg_1', 'A.handle', 't1');
    expect(await store.claim('msg_1', 'A.handle', 't2')).toBe('claimed');
  });

  it('leaves alone a claim another run took over (releasing with a stale token does nothing)', async () => {
    await store.claim('msg_1', 'A.handle', 't1');
    await store.release('msg_1', 'A.handle', 'stale');
    expect(await store.claim('msg_1', 'A.handle', 't2')).toBe('busy');
  });

  it('keeps ids apart that share a prefix up to a separator', async () => {
    await store.claim('msg:1', 'A.handle', 't1');
    await store.complete('msg:1', 'A.handle');
    expect(await store.claim('msg', 'A.handle', 't2')).toBe('claimed');
    expect(await store.claim('msg:1:A.handle', 'A.handle', 't3')).toBe('claimed');
    expect(await store.claim('msg:1', 'A.handle2', 't4')).toBe('claimed');
  });
}

describe('MemoryWebhookDeliveryStore', () => {
  behavesAsAStore(async () => new MemoryWebhookDeliveryStore(OPTIONS));

  it('lets a claim lapse after claimSeconds and a success after ttlSeconds', async () => {
    let now = 0;
    const store = new MemoryWebhookDeliveryStore(OPTIONS, () => now);
    await store.claim('msg_hung', 'A.handle', 't1');
    now += 59_999;
    expect(await store.claim('msg_hung', 'A.handle', 't2')).toBe('busy');
    now += 2;
    expect(await store.claim('msg_hung', 'A.handle', 't3')).toBe('claimed');
    await store.complete('msg_hung', 'A.handle');
    now += 3_599_999;
    expect(await store.claim('msg_hung', 'A.handle', 't4')).toBe('done');
    now += 2;
    expect(await store.claim('msg_hung', 'A.handle', 't5')).toBe('claimed');
  });

  it('holds at most maxEntries, forgetting the oldest first', async () => {
    const store = new MemoryWebhookDeliveryStore({ ...OPTIONS, maxEntries: 100 });
    for (let index = 0; index < 1_000; index++) {
      await store.claim(`msg_${index}`, 'A.handle', 't');
      await store.complete(`msg_${index}`, 'A.handle');
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(await store.claim('msg_999', 'A.handle', 't')).toBe('done');
    expect(await store.claim('msg_900', 'A.handle', 't')).toBe('done');
    expect(await store.claim('msg_0', 'A.handle', 't')).toBe('claimed');
  });

  it('keeps a running claim past maxEntries, so that a redelivery meanwhile is still busy', async () => {
    const store = new MemoryWebhookDeliveryStore({ ...OPTIONS, maxEntries: 3 });
    await store.claim('msg_slow', 'A.handle', 't_slow');
    for (let index = 0; index < 5; index++) {
      await store.claim(`msg_${index}`, 'A.handle', 't');
      await store.complete(`msg_${index}`, 'A.handle');
    }

    expect(await store.claim('msg_slow', 'A.handle', 't_again')).toBe('busy');
    expect(store.size).toBe(3);
    expect(await store.claim('msg_0', 'A.handle', 't')).toBe('claimed');
  });

  it('drops expired entries as new ones come in', async () => {
    let now = 0;
    const store = new MemoryWebhookDeliveryStore(OPTIONS, () => now);
    for (let index = 0; index < 50; index++) {
      await store.claim(`msg_${index}`, 'A.handle', 't');
      await store.complete(`msg_${index}`, 'A.handle');
    }
    now += OPTIONS.ttlSeconds * 1000 + 1;
    await store.claim('msg_new', 'A.handle', 't');
    expect(store.size).toBe(1);
  });
});

describeWithRedis('RedisWebhookDeliveryStore', () => {
  let redis: RedisTestServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    client = new Redis(redis.connection);
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  behavesAsAStore(async () => {
    await client.flushall();
    return new RedisWebhookDeliveryStore(new Redis(redis.connection), 'bull:test:webhooks', OPTIONS);
  });

  it('expires a claim after claimSeconds and a success after ttlSeconds, in Redis', async () => {
    const store = new RedisWebhookDeliveryStore(new Redis(redis.connection), 'bull:test:webhooks', OPTIONS);
    try {
      await store.claim('msg_ttl', 'A.handle', 't1');
      const key = 'bull:test:webhooks:A.handle:msg_ttl';
      expect(await client.pttl(key)).toBeGreaterThan(55_000);
      expect(await client.pttl(key)).toBeLessThanOrEqual(60_000);
      await store.complete('msg_ttl', 'A.handle');
      expect(await client.get(key)).toBe('done');
      expect(await client.pttl(key)).toBeGreaterThan(3_590_000);
      expect(await client.pttl(key)).toBeLessThanOrEqual(3_600_000);
    } finally {
      await store.close();
    }
  });
});
