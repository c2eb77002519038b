import type { AxiosRequestConfig } from 'axios';
import { LoopsConfigurationError } from './errors/loops-configuration.error';
import type { LoopsBullMqDeliveryOptions, LoopsModuleOptions } from './interfaces/loops-module-options.interface';
import { type ResolvedLoopsWebhooksOptions, resolveWebhooksOptions } from './webhooks/resolve-webhooks-options';

const DEFAULT_BASE_URL = 'https://app.loops.so/api/v1';

/** The module options with every default filled in; what the rest of the package reads. */
export interface ResolvedLoopsOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  retry: { attempts: number; minDelayMs: number; maxDelayMs: number };
  /** `undefined` when rate limiting is off. */
  requestsPerSecond: number | undefined;
  queue: { concurrency: number; maxPending: number };
  shutdownTimeoutMs: number;
  delivery: { queue: 'memory' } | ResolvedBullMqDelivery;
  dryRun: boolean;
  http: AxiosRequestConfig;
  /** `undefined` when no webhook route is mounted. */
  webhooks: ResolvedLoopsWebhooksOptions | undefined;
}

export type ResolvedBullMqDelivery = Required<LoopsBullMqDeliveryOptions>;

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
  const dryRun = readBoolean(options.dryRun, 'dryRun', false);
  const retry = options.retry === false ? { attempts: 1 } : readObject(options.retry, 'retry');
  const rateLimit = options.rateLimit === false ? undefined : readObject(options.rateLimit, 'rateLimit');
  const queue = readObject(options.queue, 'queue');
  const minDelayMs = readNumber(retry.minDelayMs, 'retry.minDelayMs', 500, { min: 0 });
  const maxDelayMs = readNumber(retry.maxDelayMs, 'retry.maxDelayMs', Math.max(30_000, minDelayMs), {
    min: minDelayMs,
  });
  return {
    apiKey: readApiKey(options.apiKey, dryRun),
    baseUrl: readBaseUrl(options.baseUrl),
    timeoutMs: readNumber(options.timeoutMs, 'timeoutMs', 10_000, { min: 1 }),
    retry: {
      attempts: readNumber(retry.attempts, 'retry.attempts', 4, { min: 1, integer: true }),
      minDelayMs,
      maxDelayMs,
    },
    requestsPerSecond:
      rateLimit === undefined
        ? undefined
        : readNumber(rateLimit.requestsPerSecond, 'rateLimit.requestsPerSecond', 10, { min: 0.001 }),
    queue: {
      concurrency: readNumber(queue.concurrency, 'queue.concurrency', 4, { min: 1, integer: true }),
      maxPending: readNumber(queue.maxPending, 'queue.maxPending', 10_000, { min: 1, integer: true }),
    },
    shutdownTimeoutMs: readNumber(options.shutdownTimeoutMs, 'shutdownTimeoutMs', 10_000, { min: 0 }),
    delivery: readDelivery(options.delivery),
    dryRun,
    http: readObject(options.http, 'http') as AxiosRequestConfig,
    webhooks: resolveWebhooksOptions(options.webhooks),
  };
}

function readApiKey(apiKey: unknown, dryRun: boolean): string {
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

function readBaseUrl(value: unknown): string {
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
  if (delivery.queue === undefined || delivery.queue === 'memory') return { queue: 'memory' };
  if (delivery.queue !== 'bullmq') throw new LoopsConfigurationError('delivery.queue', "must be 'memory' or 'bullmq'");
  if (typeof delivery.connection !== 'object' || delivery.connection === null) {
    throw new LoopsConfigurationError(
      'delivery.connection',
      'is required with BullMQ: ioredis options or an ioredis instance',
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
  return {
    queue: 'bullmq',
    connection: delivery.connection,
    queueName,
    prefix,
    enqueueTimeoutMs: readNumber(delivery.enqueueTimeoutMs, 'delivery.enqueueTimeoutMs', 5_000, { min: 1 }),
    lockDurationMs: readNumber(delivery.lockDurationMs, 'delivery.lockDurationMs', 30_000, { min: 100 }),
  };
}

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function readNumber(
  value: unknown,
  option: string,
  fallback: number,
  rule: { min: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const kind = rule.integer ? 'an integer' : 'a finite number';
  if (typeof value !== 'number' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
    throw new LoopsConfigurationError(option, `must be ${kind} (got ${describe(value)})`);
  }
  if (value < rule.min) {
    throw new LoopsConfigurationError(option, `must be ${kind} >= ${rule.min} (got ${value})`);
  }
  return value;
}

function readBoolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new LoopsConfigurationError(option, `must be a boolean (got ${describe(value)})`);
  return value;
}

function readObject(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoopsConfigurationError(option, `must be an object (got ${describe(value)})`);
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
