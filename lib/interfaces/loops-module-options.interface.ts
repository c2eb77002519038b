import type { AxiosRequestConfig } from 'axios';
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
  /** Requests per second for the whole app; Loops' team limit is 10 unless they raised yours. */
  requestsPerSecond: number;
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

/**
 * A BullMQ queue on Redis: queued events survive restarts, every instance delivers, and all instances
 * share one rate limit. Needs the optional peers `bullmq` and `ioredis`.
 */
export interface LoopsBullMqDeliveryOptions {
  queue: 'bullmq';
  /** BullMQ's `connection`: ioredis options such as `{ host, port }`, or an ioredis instance. */
  connection: object;
  /** Default `loops-events`. Every instance of one app must use the same name. */
  queueName?: string;
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string;
  /** How long `enqueueEvent` waits for Redis to take a job. Default 5 000 ms. */
  enqueueTimeoutMs?: number;
  /** How long a crashed instance's in-flight jobs stay locked before another instance takes them. Default 30 000 ms. */
  lockDurationMs?: number;
}

export interface LoopsModuleOptions {
  /** Loops API key. Required unless `dryRun` is true. */
  apiKey?: string;
  /** Default `https://app.loops.so/api/v1`. Plain `http://` is accepted for loopback hosts only. */
  baseUrl?: string;
  /** Time limit of each attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries on network errors, timeouts, 429 and 5xx; `false` sends once. */
  retry?: LoopsRetryOptions | false;
  /** Client-side limiter shared by every send of the app; `false` turns it off. Default 10 requests/second. */
  rateLimit?: LoopsRateLimitOptions | false;
  queue?: LoopsQueueOptions;
  /** How long shutdown waits for the background queue to drain. Default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /** Where background events wait. Default `{ queue: 'memory' }`. */
  delivery?: LoopsMemoryDeliveryOptions | LoopsBullMqDeliveryOptions;
  /** Validate and log events instead of sending them. Default false. */
  dryRun?: boolean;
  /** Extra axios config (proxy, agents, headers). It cannot replace the URL, method, body or `Authorization`. */
  http?: AxiosRequestConfig;
  /** Receive Loops webhooks at a route of this app; nothing is mounted without it. See `LoopsWebhooksOptions`. */
  webhooks?: LoopsWebhooksOptions;
}
