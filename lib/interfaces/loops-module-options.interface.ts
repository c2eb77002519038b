import type { AxiosRequestConfig } from 'axios';

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
  /** Validate and log events instead of sending them. Default false. */
  dryRun?: boolean;
  /** Extra axios config (proxy, agents, headers). It cannot replace the URL, method, body or `Authorization`. */
  http?: AxiosRequestConfig;
}
