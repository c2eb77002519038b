import type { LoopsLog } from '../logging/loops-log';
import type { ResolvedLoopsOptions } from '../loops-options';
import type { RedisConnection } from '../delivery/redis-connection';
import { MemoryWebhookDeliveryStore } from './memory-webhook-delivery-store';
import { RedisWebhookDeliveryStore, type WebhookRedisClient } from './redis-webhook-delivery-store';
import type { ResolvedLoopsWebhooksOptions } from './resolve-webhooks-options';
import type { WebhookDeliveryStore } from './webhook-delivery-store';

/** How long a store command may wait for Redis before the delivery is answered 503 (Loops retries later). */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/**
 * In memory, unless the app delivers its events through BullMQ: then it runs several instances on one Redis,
 * and a redelivery may reach any of them, so the store lives in that Redis.
 */
export function createWebhookDeliveryStore(
  options: ResolvedLoopsOptions,
  webhooks: ResolvedLoopsWebhooksOptions,
  log: LoopsLog,
  connection: RedisConnection | null,
): WebhookDeliveryStore {
  const { deduplication } = webhooks;
  if (options.delivery.queue !== 'bullmq' || !connection) return new MemoryWebhookDeliveryStore(deduplication);
  const { prefix, queueName } = options.delivery;
  // Connected by its first command, as the rate limiter's: nothing opened by a compile that fails.
  const redis = connection.createClient({
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    lazyConnect: true,
  });
  redis.on('error', (error: Error) => log.write('queue', `Redis (Loops webhook deduplication): ${error.message}`));
  // The same ioredis client, seen through the commands the store uses.
  return new RedisWebhookDeliveryStore(
    redis as unknown as WebhookRedisClient,
    `${prefix}:${queueName}:webhooks`,
    deduplication,
  );
}
