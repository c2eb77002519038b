import { settlesWithin } from '../utils/settles-within';
import type { WebhookClaim, WebhookDeliveryStore } from './webhook-delivery-store';

/** The part of an ioredis client the store uses. */
export interface WebhookRedisClient {
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  set(key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

// One key per (handler, message): a run's token while it runs (expiring after the claim time, so a crashed
// instance can't hold it forever), then `done` for the TTL.
const CLAIM = `
local state = redis.call('GET', KEYS[1])
if state == 'done' then return 'done' end
if state then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'claimed'
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

const QUIT_TIMEOUT_MS = 1_000;

/** The store shared by every instance of an app that delivers through BullMQ, in the same Redis. */
export class RedisWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(
    private readonly redis: WebhookRedisClient,
    /** e.g. `bull:loops-events:webhooks`, so apps sharing a Redis keep apart as their queues do. */
    private readonly keyPrefix: string,
    private readonly options: { ttlSeconds: number; claimSeconds: number },
  ) {}

  async claim(webhookId: string, handlerKey: string, token: string): Promise<WebhookClaim> {
    const claimMs = this.options.claimSeconds * 1000;
    return (await this.redis.eval(CLAIM, 1, this.key(webhookId, handlerKey), token, claimMs)) as WebhookClaim;
  }

  async complete(webhookId: string, handlerKey: string): Promise<void> {
    await this.redis.set(this.key(webhookId, handlerKey), 'done', 'PX', this.options.ttlSeconds * 1000);
  }

  async release(webhookId: string, handlerKey: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(webhookId, handlerKey), token);
  }

  async close(): Promise<void> {
    // quit() lets commands in flight finish; it would wait forever for a Redis that is gone.
    await settlesWithin(this.redis.quit(), QUIT_TIMEOUT_MS);
    this.redis.disconnect();
  }

  /** Handler keys hold no ':', so the id after them can't make two pairs share a key. */
  private key(webhookId: string, handlerKey: string): string {
    return `${this.keyPrefix}:${handlerKey}:${webhookId}`;
  }
}
