import type { Provider, Type } from '@nestjs/common';
import { LoopsCatalogVerifier } from './catalog/loops-catalog-verifier';
import { LoopsContactsService } from './contacts/loops-contacts.service';
import { BullMqBackgroundDelivery } from './delivery/bullmq-background-delivery';
import { LoopsBackgroundDelivery } from './delivery/loops-background-delivery';
import { LoopsDeliveryReporter } from './delivery/loops-delivery-reporter';
import { LoopsRateLimiter } from './delivery/loops-rate-limiter';
import { LoopsAwaitedSends } from './delivery/awaited-sends';
import { LoopsSender } from './delivery/loops-sender';
import { MemoryBackgroundDelivery } from './delivery/memory-background-delivery';
import { MemoryRateLimiter } from './delivery/memory-rate-limiter';
import { LOOPS_REDIS_CONNECTION, RedisConnection } from './delivery/redis-connection';
import { RedisRateLimiter } from './delivery/redis-rate-limiter';
import { UnlimitedRateLimiter } from './delivery/unlimited-rate-limiter';
import { ApiKeyCheck } from './health/api-key-check';
import { LoopsLog } from './logging/loops-log';
import { LoopsEventInterceptor } from './loops-event.interceptor';
import { LoopsEventsService } from './loops-events.service';
import { LOOPS_MODULE_OPTIONS } from './loops.module-definition';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions, resolveLoopsOptions } from './loops-options';
import { LoopsTelemetry } from './telemetry/loops-telemetry';
import { LoopsTransactionalService } from './transactional/loops-transactional.service';
import { LoopsTransport } from './transport/loops-transport';
import { LOOPS_WEBHOOK_PROVIDERS } from './webhooks/loops-webhook.providers';

/**
 * The providers of `LoopsModule` and `LoopsTestingModule`, which differ only in their transport. The rate limiter
 * and the background engine are bound to their abstract classes here; an app replaces either through
 * `extraProviders`, which come after these.
 */
export function loopsProviders(transport: Type<LoopsTransport>): Provider[] {
  return [
    { provide: LOOPS_RESOLVED_OPTIONS, useFactory: resolveLoopsOptions, inject: [LOOPS_MODULE_OPTIONS] },
    { provide: LoopsTransport, useClass: transport },
    { provide: LOOPS_REDIS_CONNECTION, useFactory: createRedisConnection, inject: [LOOPS_RESOLVED_OPTIONS] },
    {
      provide: LoopsRateLimiter,
      useFactory: createRateLimiter,
      inject: [LOOPS_RESOLVED_OPTIONS, LOOPS_REDIS_CONNECTION, LoopsLog],
    },
    {
      provide: LoopsBackgroundDelivery,
      useFactory: createBackgroundDelivery,
      inject: [LOOPS_RESOLVED_OPTIONS, LoopsSender, LoopsDeliveryReporter, LOOPS_REDIS_CONNECTION, LoopsTelemetry],
    },
    LoopsLog,
    LoopsTelemetry,
    LoopsDeliveryReporter,
    LoopsSender,
    LoopsAwaitedSends,
    ApiKeyCheck,
    LoopsEventsService,
    LoopsTransactionalService,
    LoopsContactsService,
    LoopsEventInterceptor,
    LoopsCatalogVerifier,
    ...LOOPS_WEBHOOK_PROVIDERS,
  ];
}

function createRedisConnection(options: ResolvedLoopsOptions): RedisConnection | null {
  return options.delivery.queue === 'bullmq' ? new RedisConnection(options.delivery.connection) : null;
}

/** Shared by every instance through Redis with BullMQ delivery; in memory otherwise; none with `rateLimit: false`. */
function createRateLimiter(
  options: ResolvedLoopsOptions,
  connection: RedisConnection | null,
  log: LoopsLog,
): LoopsRateLimiter {
  const { requestsPerSecond, delivery } = options;
  if (requestsPerSecond === undefined) return new UnlimitedRateLimiter();
  if (!connection || delivery.queue !== 'bullmq') return new MemoryRateLimiter(requestsPerSecond);
  // Connected by its first command: a compile that fails after this factory ran must leave no socket open.
  const client = connection.createClient({ maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', (error: Error) => log.write('queue', `Redis (Loops rate limit): ${error.message}`));
  return new RedisRateLimiter(client, `${delivery.prefix}:${delivery.queueName}`, requestsPerSecond, options.timeoutMs);
}

function createBackgroundDelivery(
  options: ResolvedLoopsOptions,
  sender: LoopsSender,
  reporter: LoopsDeliveryReporter,
  connection: RedisConnection | null,
  telemetry: LoopsTelemetry,
): LoopsBackgroundDelivery {
  const { delivery } = options;
  if (delivery.queue === 'bullmq' && connection) {
    return new BullMqBackgroundDelivery(options, delivery, sender, reporter, connection, telemetry);
  }
  return new MemoryBackgroundDelivery(options, sender, reporter, telemetry);
}
