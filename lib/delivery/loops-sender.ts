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
import type { SendRateLimiter } from './rate-limiter';

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
  private readonly url: string;

  constructor(
    private readonly options: ResolvedLoopsOptions,
    private readonly transport: LoopsTransport,
    private readonly limiter: SendRateLimiter | undefined,
  ) {
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
        // After a 429, a whole window first; the jittered backoff on top keeps the clients that were
        // refused together from all coming back at the same instant and being refused again.
        await abortableSleep(error instanceof LoopsRateLimitError ? RATE_LIMIT_WINDOW_MS + delay : delay, signal);
      } catch {
        return { ok: false, error: abortedByCaller(signal as AbortSignal), attempts: attempt };
      }
    }
  }

  private async attempt(event: PreparedEvent, callerSignal?: AbortSignal): Promise<LoopsTransportResponse> {
    const release = await this.acquireSlot(callerSignal);
    // One controller and a cleared timer: AbortSignal.timeout/any cost more per request and keep their
    // timers alive long after the answer.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onCallerAbort = () => controller.abort(callerSignal?.reason);
    // Without a limiter to wait on, nothing above has looked at the signal yet.
    if (callerSignal?.aborted) onCallerAbort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await this.transport.send({
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
        signal: controller.signal,
      });
      return response;
    } catch (error) {
      if (timedOut && !callerSignal?.aborted) {
        throw new LoopsNetworkError(`Loops did not answer within ${this.options.timeoutMs} ms`, 'ETIMEDOUT', error);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      release();
    }
  }

  private async acquireSlot(signal?: AbortSignal): Promise<() => void> {
    if (!this.limiter) return () => undefined;
    return this.limiter.acquire(signal);
  }

  /**
   * A server may echo request headers in its error text; the key must not travel on in our errors and
   * logs, so every occurrence in what the server sent is replaced.
   */
  private redactKey(details: LoopsApiErrorDetails): LoopsApiErrorDetails {
    const { apiKey } = this.options;
    if (!apiKey) return details;
    return { ...details, body: redact(details.body, apiKey), rawBody: redact(details.rawBody, apiKey) as string };
  }

  /** A result for an accepted event, or the error that the answer stands for. */
  private judge(response: LoopsTransportResponse, event: PreparedEvent, attempt: number): LoopsSendResult | LoopsError {
    const { status, headers } = response;
    // Loops counted this request somewhere between its start and now: only a window from now is sure to
    // have passed it.
    if (headers['x-ratelimit-remaining'] === '0' || status === 429) this.limiter?.pauseFor(RATE_LIMIT_WINDOW_MS);
    const accepted = status >= 200 && status < 300;
    // A 409 to a retry: an earlier attempt with this key got through and only its answer was lost.
    const deduplicated = status === 409 && attempt > 1;
    if (accepted || deduplicated) {
      return { success: true, idempotencyKey: event.idempotencyKey, attempts: attempt, deduplicated, dryRun: false };
    }
    const details = this.redactKey({ status, body: response.body, rawBody: response.rawBody });
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

/**
 * Replaces `secret` in every string of a freshly parsed JSON value, in place. Iterative: a hostile body
 * may nest deeper than the stack allows.
 */
function redact(value: unknown, secret: string): unknown {
  if (typeof value === 'string') return value.split(secret).join('[redacted]');
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === 'string') record[key] = child.split(secret).join('[redacted]');
      else pending.push(child);
    }
  }
  return value;
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
