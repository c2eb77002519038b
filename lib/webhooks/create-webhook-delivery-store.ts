import { Logger } from '@nestjs/common';
import type { ResolvedLoopsOptions } from '../loops-options';
import { loadOptionalPeer } from '../utils/load-optional-peer';
import { MemoryWebhookDeliveryStore } from './memory-webhook-delivery-store';
import { RedisWebhookDeliveryStore, type WebhookRedisClient } from './redis-webhook-delivery-store';
import type { ResolvedLoopsWebhooksOptions } from './resolve-webhooks-options';
import type { WebhookDeliveryStore } from './webhook-delivery-store';

// ioredis is an optional peer, typed locally: the published types must not need it.
interface RedisClient extends WebhookRedisClient {
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface IoRedisModule {
  Redis: new (options: object) => RedisClient;
}

/** How long a store command may wait for Redis before the delivery is answered 503 (Loops retries later). */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/**
 * In memory, unless the app delivers its events through BullMQ: then it runs several instances on one Redis,
 * and a redelivery may reach any of them, so the store lives in that Redis.
 */
export function createWebhookDeliveryStore(
  options: ResolvedLoopsOptions,
  webhooks: ResolvedLoopsWebhooksOptions,
  logger: Logger,
): WebhookDeliveryStore {
  const { deduplication } = webhooks;
  if (options.delivery.queue !== 'bullmq') return new MemoryWebhookDeliveryStore(deduplication);
  const { connection, prefix, queueName } = options.delivery;
  const redis = isRedisClient(connection)
    ? (connection.duplicate() as RedisClient)
    : new (loadOptionalPeer<IoRedisModule>('ioredis', 'delivery.queue').Redis)({
        ...connection,
        maxRetriesPerRequest: 1,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      });
  redis.on('error', (error) => logger.error(`Redis (Loops webhook deduplication): ${error.message}`));
  return new RedisWebhookDeliveryStore(redis, `${prefix}:${queueName}:webhooks`, deduplication);
}

function isRedisClient(connection: object): connection is { duplicate(): unknown } {
  return typeof (connection as { duplicate?: unknown }).duplicate === 'function';
}
