import { Inject, Injectable } from '@nestjs/common';
import type { LoopsApiError, LoopsApiErrorDetails } from '../errors/loops-api.error';
import { LoopsNetworkError } from '../errors/loops-network.error';
import { LoopsError } from '../errors/loops.error';
import { LoopsLog } from '../logging/loops-log';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LoopsTelemetry } from '../telemetry/loops-telemetry';
import { LoopsTransport, type LoopsTransportResponse } from '../transport/loops-transport';
import { abortableSleep } from '../utils/abortable-sleep';
import { abortWith } from '../utils/abort-with';
import { redactJson, redactText } from '../utils/redact';
import { networkErrorFrom } from '../transport/network-error-from';
import { readEventBody } from '../loops-event-body';
import { readTransactionalBody } from '../transactional/transactional-body';
import { toTransactionalRefusal } from '../transactional/transactional-refusal';
import {
  afterAttempt,
  type AttemptResult,
  type EarlierAttempts,
  judgeAnswer,
  NO_EARLIER_ATTEMPTS,
} from './attempt-result';
import { RATE_LIMIT_WINDOW_MS, retryDelay, usedUpRateLimitWindow } from './backoff';
import type { LoopsCall, LoopsCallResult } from './loops-call';
import { LoopsRateLimiter } from './loops-rate-limiter';
import { acquireSlot } from './acquire-slot';
import { tellLimiter } from './tell-limiter';
import { attemptWithin } from './attempt-within';
import { type LoopsPreparedRequest, REQUEST_PATHS } from './prepared-request';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same relative path from lib/ and dist/
const { version } = require('../../package.json') as { version: string };
const USER_AGENT = `nestjs-loops/${version}`;

export type LoopsDeliveryResult =
  | { ok: true; attempts: number; deduplicated: boolean; dryRun: boolean }
  | {
      ok: false;
      error: LoopsError;
      attempts: number;
      /** An attempt's outcome was unknown: Loops may have accepted the event after all. */
      mayHaveBeenAccepted: boolean;
      /** What the last attempt the signal did not cut short got (a 503, a timeout), when it was retryable. */
      lastError?: LoopsError;
      /** Given up before `giveUpAt` came: the next attempt could not have started before it. */
      outOfTime?: true;
    };

/** One HTTP exchange as `exchange` makes it. */
interface Exchange {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  body?: string;
  idempotencyKey?: string;
}

/**
 * Makes every request the module sends to Loops: one attempt at a time through the rate limiter with a timeout
 * (`attempt`), attempts with backoff until one settles an event or a transactional email (`deliver`), or the same
 * for a contact read or write (`call`). Every attempt of an event or email carries its one `Idempotency-Key`, so
 * that Loops accepts it at most once.
 */
@Injectable()
export class LoopsSender {
  private readonly url: string;
  private readonly transactionalUrl: string;

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly transport: LoopsTransport,
    private readonly limiter: LoopsRateLimiter,
    private readonly log: LoopsLog,
    private readonly telemetry: LoopsTelemetry,
  ) {
    this.url = `${options.baseUrl}${REQUEST_PATHS.event}`;
    this.transactionalUrl = `${options.baseUrl}${REQUEST_PATHS.transactional}`;
  }

  /**
   * Attempts until Loops accepts or refuses the event (or email), attempts run out, or `signal` aborts. With
   * `giveUpAt` (a `performance.now()` time), a retry whose wait would end after it is not waited for.
   */
  deliver(event: LoopsPreparedRequest, signal?: AbortSignal, giveUpAt?: number): Promise<LoopsDeliveryResult> {
    if (this.options.dryRun) {
      return Promise.resolve({ ok: true, attempts: 0, deduplicated: false, dryRun: this.logDryRun(event) });
    }
    return following(signal, (own) => this.retrying((earlier) => this.attempt(event, earlier, own), own, giveUpAt));
  }

  /**
   * A contact read or write: attempts with the same limiter, timeout and backoff as a delivery, until an answer
   * settles it. In dry run, nothing is sent: the call is logged and resolves with its dry-run value.
   */
  async call<T>(call: LoopsCall<T>, signal?: AbortSignal, giveUpAt?: number): Promise<LoopsCallResult<T>> {
    if (this.options.dryRun) {
      // Without the query: an address in it is percent-encoded, which the log's masking can't recognise; the
      // description names the contact instead.
      const path = call.path.split('?')[0];
      this.log.write('dryRun', `[dry run] Loops ${call.method} ${path}: ${call.dryRun.description}`);
      return { ok: true, value: call.dryRun.value, attempts: 0, dryRun: true };
    }
    let value: T | undefined;
    const url = `${this.options.baseUrl}${call.path}`;
    const result = await following(signal, (own) =>
      this.retrying(
        async (earlier): Promise<AttemptResult> => {
          const exchanged = await this.exchange({ method: call.method, url, body: call.body }, own);
          if (!('status' in exchanged)) return exchanged;
          const verdict = call.judge(exchanged, this.details(exchanged), earlier);
          if (verdict.outcome !== 'accepted') return verdict;
          value = verdict.value;
          return { outcome: 'accepted', deduplicated: false };
        },
        own,
        giveUpAt,
      ),
    );
    return result.ok ? { ok: true, value: value as T, attempts: result.attempts, dryRun: false } : result;
  }

  /**
   * Runs `attempt` until one settles, attempts run out, or `signal` aborts, backing off between attempts; gives up at
   * once (`outOfTime`) when the wait before the next attempt would end after `giveUpAt`.
   */
  private async retrying(
    attemptOnce: (earlier: EarlierAttempts) => Promise<AttemptResult>,
    signal: AbortSignal | undefined,
    giveUpAt: number | undefined,
  ): Promise<LoopsDeliveryResult> {
    const { attempts: maxAttempts } = this.options.retry;
    let earlier = NO_EARLIER_ATTEMPTS;
    // What results report as attempts: requests made, which an attempt that never got a rate-limit slot is not.
    let requests = 0;
    let lastError: LoopsError | undefined;
    for (let attempt = 1; ; attempt++) {
      const result = await attemptOnce(earlier);
      if (result.outcome !== 'not-sent') requests++;
      if (result.outcome === 'accepted') {
        return { ok: true, attempts: requests, deduplicated: result.deduplicated, dryRun: false };
      }
      // An attempt the signal cut short says nothing about Loops: the answer before it is the one to keep.
      if (result.outcome === 'retryable' && !signal?.aborted) lastError = result.error;
      earlier = afterAttempt(earlier, result);
      const failed = (error: LoopsError) => {
        error.mayHaveBeenAccepted = earlier.unknown;
        return { ok: false as const, error, attempts: requests, mayHaveBeenAccepted: earlier.unknown, lastError };
      };
      if (signal?.aborted) return failed(abortedByCaller(signal));
      if (result.outcome !== 'retryable') return failed(result.error);
      if (attempt >= maxAttempts) return failed(result.error);
      const delay = retryDelay(attempt, result, this.options.retry);
      if (giveUpAt !== undefined && performance.now() + delay >= giveUpAt) {
        return { ...failed(result.error), outOfTime: true };
      }
      try {
        await abortableSleep(delay, signal);
      } catch {
        return failed(abortedByCaller(signal as AbortSignal));
      }
    }
  }

  /** One request, judged. Never rejects: what went wrong is in the result. */
  async attempt(event: LoopsPreparedRequest, earlier: EarlierAttempts, signal?: AbortSignal): Promise<AttemptResult> {
    if (this.options.dryRun) return { outcome: 'accepted', deduplicated: false, dryRun: this.logDryRun(event) };
    const transactional = event.kind === 'transactional';
    const response = await this.exchange(
      {
        method: 'POST',
        url: transactional ? this.transactionalUrl : this.url,
        body: event.body,
        idempotencyKey: event.idempotencyKey,
      },
      signal,
    );
    if (!('status' in response)) return response;
    const result = judgeAnswer(response, this.details(response), {
      idempotencyKey: event.idempotencyKey,
      keyChosenByCaller: event.keyChosenByCaller,
      earlier,
    });
    if (transactional && result.outcome === 'refused') {
      return {
        outcome: 'refused',
        error: toTransactionalRefusal(result.error as LoopsApiError, event.transactionalId),
      };
    }
    return result;
  }

  /**
   * One request through the rate limiter: the answer, whatever its status, or what kept it from coming (nothing
   * sent, or no answer to a request that may have arrived).
   */
  private async exchange(
    request: Exchange,
    signal: AbortSignal | undefined,
  ): Promise<LoopsTransportResponse | Extract<AttemptResult, { outcome: 'not-sent' | 'retryable' }>> {
    let release: () => void;
    try {
      release = await acquireSlot(this.limiter, signal);
    } catch (error) {
      return { outcome: 'not-sent', error: signal?.aborted ? abortedByCaller(signal) : this.toLoopsError(error) };
    }
    let response: LoopsTransportResponse;
    try {
      response = await this.send(request, signal);
    } catch (error) {
      return { outcome: 'retryable', error: this.toLoopsError(error), unknown: true, rateLimited: false };
    } finally {
      tellLimiter(this.log, 'release', release);
    }
    if (!isTransportResponse(response)) {
      const error = new LoopsNetworkError(
        'The LoopsTransport resolved to something that is not an answer (a status and headers are required)',
        undefined,
      );
      return { outcome: 'retryable', error, unknown: true, rateLimited: false };
    }
    this.telemetry.answered(response);
    if (usedUpRateLimitWindow(response)) {
      tellLimiter(this.log, 'pauseFor', () => this.limiter.pauseFor(RATE_LIMIT_WINDOW_MS));
    }
    return response;
  }

  private details(response: LoopsTransportResponse): LoopsApiErrorDetails {
    return this.redactKey({ status: response.status, body: response.body, rawBody: response.rawBody });
  }

  private send(request: Exchange, callerSignal?: AbortSignal): Promise<LoopsTransportResponse> {
    const { timeoutMs } = this.options;
    return attemptWithin(
      this.transport,
      { method: request.method, url: request.url, headers: this.headers(request), body: request.body },
      timeoutMs,
      callerSignal,
      (cause) => new LoopsNetworkError(`Loops did not answer within ${timeoutMs} ms`, 'ETIMEDOUT', cause),
    );
  }

  private headers(request: Exchange): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
      Authorization: `Bearer ${this.options.apiKey}`,
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    if (request.idempotencyKey !== undefined) headers['Idempotency-Key'] = request.idempotencyKey;
    return headers;
  }

  /**
   * Logs what would have been sent, emails masked: the property names and types, or (`dryRun: 'verbose'`) the whole
   * body. `true`, for the result's `dryRun`.
   */
  private logDryRun(event: LoopsPreparedRequest): true {
    const transactional = event.kind === 'transactional';
    const what = this.options.dryRunValues
      ? event.body
      : transactional
        ? describeTransactionalShape(event.body)
        : describeShape(event.body);
    const subject = transactional ? `transactional email "${event.transactionalId}"` : `event "${event.eventName}"`;
    this.log.write('dryRun', `[dry run] Loops ${subject} (${event.idempotencyKey}): ${what}`);
    return true;
  }

  /**
   * A server may echo request headers in its error text; the key must not travel on in our errors and
   * logs, so every occurrence in what the server sent is replaced.
   */
  private redactKey(details: LoopsApiErrorDetails): LoopsApiErrorDetails {
    const { apiKey } = this.options;
    const rawBody = details.rawBody === undefined ? undefined : redactText(details.rawBody, apiKey);
    return { ...details, body: redactJson(details.body, apiKey), rawBody };
  }

  /** What kept an attempt from an answer (the limiter's or the transport's error), the key out of its reach. */
  private toLoopsError(error: unknown): LoopsError {
    if (error instanceof LoopsError && !(error instanceof LoopsNetworkError)) return error;
    return networkErrorFrom(error, this.options.apiKey, 'Sending to Loops failed');
  }
}

/** `for a***@example.com, eventProperties { plan: string, seats: number }, ...`: what a body holds, not its values. */
function describeShape(body: string): string {
  const { email, userId, eventProperties, mailingLists, contactProperties } = readEventBody(body);
  const types = (values: Record<string, unknown>) =>
    Object.entries(values)
      .map(([name, value]) => `${name}: ${value === null ? 'null' : typeof value}`)
      .join(', ');
  const contact = [email, userId === undefined ? undefined : `userId ${userId}`].filter(Boolean).join(', ');
  const parts = [`for ${contact}`];
  if (eventProperties) parts.push(`eventProperties { ${types(eventProperties)} }`);
  if (contactProperties) parts.push(`contactProperties { ${types(contactProperties)} }`);
  if (mailingLists) parts.push(`mailingLists { ${Object.keys(mailingLists).join(', ')} }`);
  return parts.join(', ');
}

/** `to a***@example.com, dataVariables { name: string }, attachments invoice.pdf (application/pdf)`. */
function describeTransactionalShape(body: string): string {
  const { email, addToAudience, dataVariables, attachments } = readTransactionalBody(body);
  const parts = [`to ${email}`];
  if (addToAudience !== undefined) parts.push(`addToAudience ${String(addToAudience)}`);
  if (dataVariables) {
    const types = Object.entries(dataVariables).map(
      ([name, value]) => `${name}: ${Array.isArray(value) ? `${value.length} item(s)` : typeof value}`,
    );
    parts.push(`dataVariables { ${types.join(', ')} }`);
  }
  if (attachments) {
    parts.push(`attachments ${attachments.map((file) => `${file.filename} (${file.contentType})`).join(', ')}`);
  }
  return parts.join(', ');
}

/**
 * `work` with a signal of its own that aborts with `signal`. The waits and requests of a delivery each listen to the
 * signal they are given; the caller's gets one listener however many deliveries it is handed at once (a queue of the
 * app's own may pass one signal to all of them), where Node warns of a leak past ten.
 */
async function following<T>(
  signal: AbortSignal | undefined,
  work: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!signal) return work(undefined);
  const own = new AbortController();
  const unfollow = abortWith(signal, own);
  try {
    return await work(own.signal);
  } finally {
    unfollow();
  }
}

/** What a `LoopsTransport` must resolve to; one of the app's own, unchecked by types, may not. */
function isTransportResponse(value: unknown): value is LoopsTransportResponse {
  const response = value as Partial<LoopsTransportResponse> | null | undefined;
  return typeof response?.status === 'number' && typeof response.headers === 'object' && response.headers !== null;
}

function abortedByCaller(signal: AbortSignal): LoopsNetworkError {
  return new LoopsNetworkError('The send was aborted', 'ABORT_ERR', signal.reason);
}
