import type { AxiosRequestConfig } from 'axios';
import { resolveCatalogOptions, type ResolvedCatalogOptions } from './catalog/catalog-options';
import { LoopsConfigurationError } from './errors/loops-configuration.error';
import type { LoopsAxiosInstance } from './interfaces/loops-axios-instance.interface';
import { type LoopsLogKind, type LoopsLogLevel, resolveLogLevels } from './logging/loops-log-levels';
import type {
  LoopsBullMqDeliveryOptions,
  LoopsJobRetention,
  LoopsModuleOptions,
  LoopsQueueOptions,
  LoopsRateLimitOptions,
  LoopsRetryOptions,
} from './interfaces/loops-module-options.interface';
import type { LoopsModuleExtras } from './loops.module-definition';
import { readAxiosInstance } from './transport/read-axios-instance';
import { keysOf, readBoolean, readNumber, readObject, rejectUnknownKeys } from './utils/read-option';
import { type ResolvedLoopsWebhooksOptions, resolveWebhooksOptions } from './webhooks/resolve-webhooks-options';

const DEFAULT_BASE_URL = 'https://app.loops.so/api/v1';
const DAY_MS = 24 * 3600 * 1000;
/**
 * The in-memory limiter keeps a slot per request of a second and scans them on every release; Loops raises a team's
 * limit on request, but not to thousands a second.
 */
const MAX_REQUESTS_PER_SECOND = 1_000;

const MODULE_OPTIONS = keysOf<LoopsModuleOptions>()(
  'apiKey',
  'baseUrl',
  'timeoutMs',
  'sendTimeoutMs',
  'retry',
  'rateLimit',
  'queue',
  'shutdownTimeoutMs',
  'delivery',
  'dryRun',
  'http',
  'axiosInstance',
  'catalog',
  'catalogViolations',
  'verify',
  'verifyTimeoutMs',
  'logLevels',
  'webhooks',
);
/** Options of the module's definition, not of the module: `forRoot` takes them out, a factory's result keeps them. */
const MODULE_EXTRAS = keysOf<LoopsModuleExtras>()('isGlobal', 'extraProviders');
const RETRY_OPTIONS = keysOf<LoopsRetryOptions>()('attempts', 'minDelayMs', 'maxDelayMs');
const RATE_LIMIT_OPTIONS = keysOf<LoopsRateLimitOptions>()('requestsPerSecond');
const QUEUE_OPTIONS = keysOf<LoopsQueueOptions>()('concurrency', 'maxPending');
const BULLMQ_OPTIONS = keysOf<LoopsBullMqDeliveryOptions>()(
  'queue',
  'connection',
  'queueName',
  'prefix',
  'enqueueTimeoutMs',
  'lockDurationMs',
  'worker',
  'retention',
);
const RETENTION_OPTIONS = keysOf<LoopsJobRetention>()('maxAgeMs', 'maxCount');

/** The module options with every default filled in; what the rest of the package reads. */
export interface ResolvedLoopsOptions extends ResolvedCatalogOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  sendTimeoutMs: number;
  retry: { attempts: number; minDelayMs: number; maxDelayMs: number };
  /** `undefined` when rate limiting is off. */
  requestsPerSecond: number | undefined;
  queue: { concurrency: number; maxPending: number };
  shutdownTimeoutMs: number;
  delivery: { queue: 'memory' } | ResolvedBullMqDelivery;
  dryRun: boolean;
  /** Dry-run log lines show property values (`dryRun: 'verbose'`), not only names and types. */
  dryRunValues: boolean;
  http: AxiosRequestConfig;
  /** `undefined`: the transport makes an axios instance of its own. */
  axiosInstance: LoopsAxiosInstance | undefined;
  logLevels: Record<LoopsLogKind, LoopsLogLevel | false>;
  /** `undefined` when no webhook route is mounted. */
  webhooks: ResolvedLoopsWebhooksOptions | undefined;
}

export interface ResolvedBullMqDelivery extends Required<Omit<LoopsBullMqDeliveryOptions, 'retention'>> {
  retention: Record<'completed' | 'failed', { maxAgeMs: number; maxCount: number | undefined }>;
}

/** Internal injection token of {@link ResolvedLoopsOptions}. */
export const LOOPS_RESOLVED_OPTIONS = Symbol('LOOPS_RESOLVED_OPTIONS');

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/**
 * Checks the options and fills in defaults. Runs while the app boots, so a bad option stops the app
 * with an error naming it. Messages describe the rule and never echo the API key.
 */
export function resolveLoopsOptions(options: LoopsModuleOptions | undefined): ResolvedLoopsOptions {
  if (typeof options !== 'object' || options === null) {
    throw new LoopsConfigurationError('options', 'must be an object');
  }
  for (const extra of MODULE_EXTRAS) {
    if (Object.hasOwn(options, extra)) {
      throw new LoopsConfigurationError(
        extra,
        'is an option of forRootAsync itself, beside useFactory: the options a factory returns cannot set it',
      );
    }
  }
  rejectUnknownKeys(options as Record<string, unknown>, '', MODULE_OPTIONS);
  const dryRunValues = options.dryRun === 'verbose';
  const dryRun = dryRunValues || readBoolean(options.dryRun, 'dryRun', false);
  const retry = options.retry === false ? { attempts: 1 } : readObject(options.retry, 'retry', RETRY_OPTIONS);
  const rateLimit =
    options.rateLimit === false ? undefined : readObject(options.rateLimit, 'rateLimit', RATE_LIMIT_OPTIONS);
  const queue = readObject(options.queue, 'queue', QUEUE_OPTIONS);
  const minDelayMs = readNumber(retry.minDelayMs, 'retry.minDelayMs', 500, { min: 0, duration: true });
  const maxDelayMs = readNumber(retry.maxDelayMs, 'retry.maxDelayMs', Math.max(30_000, minDelayMs), {
    min: minDelayMs,
    duration: true,
  });
  return {
    apiKey: readApiKey(options.apiKey, dryRun),
    baseUrl: readBaseUrl(options.baseUrl),
    timeoutMs: readNumber(options.timeoutMs, 'timeoutMs', 10_000, { min: 1, duration: true }),
    sendTimeoutMs: readNumber(options.sendTimeoutMs, 'sendTimeoutMs', 60_000, { min: 1, duration: true }),
    retry: {
      attempts: readNumber(retry.attempts, 'retry.attempts', 4, { min: 1, integer: true }),
      minDelayMs,
      maxDelayMs,
    },
    requestsPerSecond:
      rateLimit === undefined
        ? undefined
        : readNumber(rateLimit.requestsPerSecond, 'rateLimit.requestsPerSecond', 10, {
            min: 0.001,
            max: MAX_REQUESTS_PER_SECOND,
          }),
    queue: {
      concurrency: readNumber(queue.concurrency, 'queue.concurrency', 4, { min: 1, integer: true }),
      maxPending: readNumber(queue.maxPending, 'queue.maxPending', 10_000, { min: 1, integer: true }),
    },
    shutdownTimeoutMs: readNumber(options.shutdownTimeoutMs, 'shutdownTimeoutMs', 10_000, { min: 0, duration: true }),
    delivery: readDelivery(options.delivery),
    dryRun,
    dryRunValues,
    http: readObject(options.http, 'http') as AxiosRequestConfig,
    axiosInstance: readAxiosInstance(options.axiosInstance),
    logLevels: resolveLogLevels(options.logLevels),
    ...resolveCatalogOptions(options),
    webhooks: resolveWebhooksOptions(options.webhooks),
  };
}

export function readApiKey(apiKey: unknown, dryRun: boolean): string {
  if (apiKey === undefined && dryRun) return '';
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new LoopsConfigurationError('apiKey', 'is required and must be a non-empty string');
  }
  // A key with whitespace or control characters can't be sent in a header as it is.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new LoopsConfigurationError('apiKey', 'must not contain spaces, line breaks or non-ASCII characters');
  }
  return apiKey;
}

export function readBaseUrl(value: unknown): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new LoopsConfigurationError('baseUrl', 'must be an absolute URL such as https://app.loops.so/api/v1');
  }
  if (typeof value !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new LoopsConfigurationError('baseUrl', 'must be an http(s) URL');
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new LoopsConfigurationError(
      'baseUrl',
      'plain http:// is only allowed for loopback hosts; use https:// so the API key is not sent in clear text',
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new LoopsConfigurationError('baseUrl', 'must not contain credentials, a query or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}

function readDelivery(value: unknown): ResolvedLoopsOptions['delivery'] {
  const delivery = readObject(value, 'delivery');
  if (delivery.queue === undefined || delivery.queue === 'memory') {
    const bullMqOnly = Object.keys(delivery).find((key) => key !== 'queue' && BULLMQ_OPTIONS.includes(key));
    if (bullMqOnly !== undefined) {
      throw new LoopsConfigurationError(
        `delivery.${bullMqOnly}`,
        "is an option of BullMQ delivery: add queue: 'bullmq'",
      );
    }
    rejectUnknownKeys(delivery, 'delivery', ['queue']);
    return { queue: 'memory' };
  }
  if (delivery.queue !== 'bullmq') throw new LoopsConfigurationError('delivery.queue', "must be 'memory' or 'bullmq'");
  rejectUnknownKeys(delivery, 'delivery', BULLMQ_OPTIONS);
  const { connection } = delivery;
  if ((typeof connection !== 'object' || connection === null) && typeof connection !== 'string') {
    throw new LoopsConfigurationError(
      'delivery.connection',
      'is required with BullMQ: ioredis options, a redis:// URL or an ioredis instance',
    );
  }
  const queueName = delivery.queueName ?? 'loops-events';
  if (typeof queueName !== 'string' || !/^[\w.-]+$/.test(queueName)) {
    throw new LoopsConfigurationError('delivery.queueName', 'must be letters, digits, ".", "_" or "-"');
  }
  const prefix = delivery.prefix ?? 'bull';
  if (typeof prefix !== 'string' || prefix === '') {
    throw new LoopsConfigurationError('delivery.prefix', 'must be a non-empty string');
  }
  const retention = readObject(delivery.retention, 'delivery.retention', ['completed', 'failed']);
  return {
    queue: 'bullmq',
    connection,
    queueName,
    prefix,
    enqueueTimeoutMs: readNumber(delivery.enqueueTimeoutMs, 'delivery.enqueueTimeoutMs', 5_000, {
      min: 1,
      duration: true,
    }),
    lockDurationMs: readNumber(delivery.lockDurationMs, 'delivery.lockDurationMs', 30_000, {
      min: 100,
      duration: true,
    }),
    worker: readBoolean(delivery.worker, 'delivery.worker', true),
    retention: {
      completed: readRetention(retention.completed, 'delivery.retention.completed', DAY_MS, 10_000),
      failed: readRetention(retention.failed, 'delivery.retention.failed', 7 * DAY_MS, undefined),
    },
  };
}

function readRetention(value: unknown, option: string, maxAgeMs: number, maxCount: number | undefined) {
  const retention = readObject(value, option, RETENTION_OPTIONS);
  return {
    maxAgeMs: readNumber(retention.maxAgeMs, `${option}.maxAgeMs`, maxAgeMs, { min: 1_000, integer: true }),
    maxCount:
      retention.maxCount === undefined
        ? maxCount
        : readNumber(retention.maxCount, `${option}.maxCount`, 0, { min: 1, integer: true }),
  };
}

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}
