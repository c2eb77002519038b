import type { AxiosRequestConfig } from 'axios';
import type { LoopsCatalogOptions } from '../catalog/catalog-options';
import type { LoopsLogLevels } from '../logging/loops-log-levels';
import type { LoopsAxiosInstance } from './loops-axios-instance.interface';
import type { LoopsWebhooksOptions } from '../webhooks/loops-webhooks-options.interface';

export interface LoopsRetryOptions {
  /** Attempts in all, the first included. Default 4. */
  attempts?: number;
  /** Backoff before the second attempt, doubled each time (with jitter). Default 500 ms. */
  minDelayMs?: number;
  /** Longest backoff between two attempts. Default 30 000 ms. */
  maxDelayMs?: number;
}

export interface LoopsRateLimitOptions {
  /**
   * Requests per second for the whole app, at most 1 000; above 1, a fraction is rounded down (10.5 allows 10).
   * Default 10, Loops' team limit unless they raised yours.
   */
  requestsPerSecond?: number;
}

export interface LoopsQueueOptions {
  /** Background deliveries in flight at once. Default 4. */
  concurrency?: number;
  /** Events waiting or in flight before `enqueueEvent` throws `LoopsQueueFullError`. Default 10 000. */
  maxPending?: number;
}

/** The default: an in-process queue, drained at shutdown. */
export interface LoopsMemoryDeliveryOptions {
  queue: 'memory';
}

/** How long finished jobs stay in Redis. Each holds its event, email address included. */
export interface LoopsJobRetention {
  /** Default: 24 h for completed jobs, 7 days for failed ones. */
  maxAgeMs?: number;
  /** Default: 10 000 completed jobs, no limit for failed ones. */
  maxCount?: number;
}

/**
 * A BullMQ queue on Redis: queued events survive restarts, every instance delivers, and all instances
 * share one rate limit. Needs the optional peers `bullmq` and `ioredis`.
 */
export interface LoopsBullMqDeliveryOptions {
  queue: 'bullmq';
  /**
   * Where Redis is: ioredis options such as `{ host, port }`, a `redis://` or `rediss://` URL, or an ioredis
   * instance the app already has (its settings are used for connections of the module's own; yours is never
   * closed).
   */
  connection: object | string;
  /** Default `loops-events`. Every instance of one app must use the same name. */
  queueName?: string;
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string;
  /** How long `enqueueEventAsync` waits for Redis to acknowledge a job. Default 5 000 ms. */
  enqueueTimeoutMs?: number;
  /** How long a stopped instance's in-flight jobs stay locked before another instance takes them. Default 30 000 ms. */
  lockDurationMs?: number;
  /** `false`: this instance only enqueues (a web pod), and other instances deliver. Default true. */
  worker?: boolean;
  /**
   * How long completed and failed jobs are kept. A completed job lets a key enqueued again be recognised without
   * a request; after it is gone, Loops' own idempotency (24 h) still prevents a second delivery.
   */
  retention?: { completed?: LoopsJobRetention; failed?: LoopsJobRetention };
}

export interface LoopsModuleOptions extends LoopsCatalogOptions {
  /** Loops API key. Required unless `dryRun` is true. */
  apiKey?: string;
  /** Default `https://app.loops.so/api/v1`. Plain `http://` is accepted for loopback hosts only. */
  baseUrl?: string;
  /** Time limit of each attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * Time limit of a whole `sendEvent`: the waits for the rate limiter, every attempt and the backoffs between them.
   * Default 60 000 ms.
   */
  sendTimeoutMs?: number;
  /** Retries on network errors, timeouts, 429 and 5xx; `false` sends once. */
  retry?: LoopsRetryOptions | false;
  /** Client-side limiter shared by every send of the app; `false` turns it off. Default 10 requests/second. */
  rateLimit?: LoopsRateLimitOptions | false;
  queue?: LoopsQueueOptions;
  /** How long shutdown waits for the background queue to drain. Default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /** Where background events wait. Default `{ queue: 'memory' }`. */
  delivery?: LoopsMemoryDeliveryOptions | LoopsBullMqDeliveryOptions;
  /**
   * Validate and log events instead of sending them: `true` logs each event's name, contact (masked) and the names
   * and types of its properties; `'verbose'` logs its values too (emails masked). Default false.
   */
  dryRun?: boolean | 'verbose';
  /** Extra axios config (proxy, agents, headers). It cannot replace the URL, method, body or `Authorization`. */
  http?: AxiosRequestConfig;
  /**
   * The axios instance to send through, e.g. `HttpService.axiosRef` of an `HttpModule` the app has set up with
   * proxies, agents or interceptors. Its interceptors see every Loops request, the API key included. Default: an
   * instance of the module's own, which interceptors added to the global axios never see.
   */
  axiosInstance?: LoopsAxiosInstance;
  /** The level of each kind of log line (`failed`, `dropped`, ...), or `false` to leave it out. */
  logLevels?: LoopsLogLevels;
  /** Receive Loops webhooks at a route of this app; nothing is mounted without it. See `LoopsWebhooksOptions`. */
  webhooks?: LoopsWebhooksOptions;
}
