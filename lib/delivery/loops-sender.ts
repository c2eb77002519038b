import { LoopsApiError, LoopsApiErrorDetails } from '../errors/loops-api.error';
import { LoopsAuthError } from '../errors/loops-auth.error';
import { LoopsIdempotencyConflictError } from '../errors/loops-idempotency-conflict.error';
import { LoopsNetworkError } from '../errors/loops-network.error';
import { LoopsRateLimitError } from '../errors/loops-rate-limit.error';
import { LoopsError } from '../errors/loops.error';
import type { LoopsSendResult } from '../interfaces/loops-send-result.interface';
import type { ResolvedLoopsOptions } from '../loops-options';
import type { LoopsTransport, LoopsTransportResponse } from '../transport/loops-transport';
import { abortableSleep } from '../utils/abortable-sleep';
import { backoffDelay } from './backoff';
import { RateLimiter } from './rate-limiter';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same relative path from lib/ and dist/
const { version } = require('../../package.json') as { version: string };
const USER_AGENT = `nestjs-loops/${version}`;

/** Loops counts its limit per one-second window; waiting less after a 429 is waiting in vain. */
const RATE_LIMIT_WINDOW_MS = 1_000;

/** A validated event in wire form, ready to be sent. */
export interface PreparedEvent {
  eventName: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
}

export type DeliveryAttemptResult =
  { ok: true; result: LoopsSendResult } | { ok: false; error: LoopsError; attempts: number };

/**
 * Delivers one event: rate limiting, a timeout per attempt, retries with backoff, and one
 * `Idempotency-Key` for all attempts so that Loops accepts the event at most once.
 */
export class LoopsSender {
  private readonly limiter: RateLimiter | undefined;
  private readonly url: string;

  constructor(
    private readonly options: ResolvedLoopsOptions,
    private readonly transport: LoopsTransport,
  ) {
    this.limiter = options.requestsPerSecond === undefined ? undefined : new RateLimiter(options.requestsPerSecond);
    this.url = `${options.baseUrl}/events/send`;
  }

  async deliver(event: PreparedEvent, signal?: AbortSignal): Promise<DeliveryAttemptResult> {
    const { attempts: maxAttempts } = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      let error: LoopsError;
      try {
        const response = await this.attempt(event, signal);
        const outcome = this.judge(response, event, attempt);
        if (!(outcome instanceof LoopsError)) return { ok: true, result: outcome };
        error = outcome;
      } catch (thrown) {
        error = toLoopsError(thrown);
      }
      if (signal?.aborted) return { ok: false, error: abortedByCaller(signal), attempts: attempt };
      if (attempt >= maxAttempts || !isRetryable(error)) return { ok: false, error, attempts: attempt };
      const delay = backoffDelay(attempt, this.options.retry);
      try {
        await abortableSleep(
          error instanceof LoopsRateLimitError ? Math.max(delay, RATE_LIMIT_WINDOW_MS) : delay,
          signal,
        );
      } catch {
        return { ok: false, error: abortedByCaller(signal as AbortSignal), attempts: attempt };
      }
    }
  }

  private async attempt(event: PreparedEvent, callerSignal?: AbortSignal): Promise<LoopsTransportResponse> {
    const release = await this.acquireSlot(callerSignal);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    try {
      return await this.transport.send({
        method: 'POST',
        url: this.url,
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'User-Agent': USER_AGENT,
          'Idempotency-Key': event.idempotencyKey,
          Authorization: `Bearer ${this.options.apiKey}`,
        },
        body: event.body,
        signal,
      });
    } catch (error) {
      if (timeout.aborted && !callerSignal?.aborted) {
        throw new LoopsNetworkError(`Loops did not answer within ${this.options.timeoutMs} ms`, 'ETIMEDOUT', error);
      }
      throw error;
    } finally {
      release();
    }
  }

  private async acquireSlot(signal?: AbortSignal): Promise<() => void> {
    if (!this.limiter) return () => undefined;
    return this.limiter.acquire(signal);
  }

  /** A result for an accepted event, or the error that the answer stands for. */
  private judge(response: LoopsTransportResponse, event: PreparedEvent, attempt: number): LoopsSendResult | LoopsError {
    const { status, headers } = response;
    if (headers['x-ratelimit-remaining'] === '0' || status === 429) this.limiter?.pauseFor(RATE_LIMIT_WINDOW_MS);
    const accepted = status >= 200 && status < 300;
    // A 409 to a retry: an earlier attempt with this key got through and only its answer was lost.
    const deduplicated = status === 409 && attempt > 1;
    if (accepted || deduplicated) {
      return { success: true, idempotencyKey: event.idempotencyKey, attempts: attempt, deduplicated, dryRun: false };
    }
    const details: LoopsApiErrorDetails = { status, body: response.body, rawBody: response.rawBody };
    if (status === 401 || status === 403) return new LoopsAuthError(details);
    if (status === 409) return new LoopsIdempotencyConflictError(details, event.idempotencyKey);
    if (status === 429) {
      return new LoopsRateLimitError(
        details,
        readInteger(headers['x-ratelimit-limit']),
        readInteger(headers['x-ratelimit-remaining']),
      );
    }
    return new LoopsApiError(details);
  }
}

function isRetryable(error: LoopsError): boolean {
  if (error instanceof LoopsNetworkError || error instanceof LoopsRateLimitError) return true;
  return error instanceof LoopsApiError && error.status >= 500;
}

function toLoopsError(error: unknown): LoopsError {
  if (error instanceof LoopsError) return error;
  return new LoopsNetworkError(
    `Sending to Loops failed: ${error instanceof Error ? error.message : String(error)}`,
    undefined,
    error,
  );
}

function abortedByCaller(signal: AbortSignal): LoopsNetworkError {
  return new LoopsNetworkError('The send was aborted', 'ABORT_ERR', signal.reason);
}

function readInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
