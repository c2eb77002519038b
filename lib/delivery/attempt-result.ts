import { LoopsApiError, type LoopsApiErrorDetails } from '../errors/loops-api.error';
import { LoopsAuthError } from '../errors/loops-auth.error';
import { LoopsIdempotencyConflictError } from '../errors/loops-idempotency-conflict.error';
import { LoopsRateLimitError } from '../errors/loops-rate-limit.error';
import type { LoopsError } from '../errors/loops.error';
import type { LoopsTransportResponse } from '../transport/loops-transport';

/** What the attempts already made for an event, with its key, say about a 409 now. */
export interface EarlierAttempts {
  /** Requests with the key went out before this one. */
  made: boolean;
  /**
   * One may have been accepted with its answer lost: a timeout, a dropped connection, a 5xx, a process that stopped
   * mid-request.
   */
  unknown: boolean;
}

export const NO_EARLIER_ATTEMPTS: EarlierAttempts = { made: false, unknown: false };

/** `earlier`, with the result of one more attempt. */
export function afterAttempt(earlier: EarlierAttempts, result: AttemptResult): EarlierAttempts {
  if (result.outcome === 'accepted' || result.outcome === 'not-sent') return earlier;
  return { made: true, unknown: earlier.unknown || (result.outcome === 'retryable' && result.unknown) };
}

/** What one HTTP attempt came to. */
export type AttemptResult =
  /** Loops has the event: accepted now, or (`deduplicated`) by an earlier request with the same key. */
  | { outcome: 'accepted'; deduplicated: boolean; dryRun?: true }
  /** A definite refusal that trying again would not change. */
  | { outcome: 'refused'; error: LoopsError }
  | {
      outcome: 'retryable';
      error: LoopsError;
      /** The request may have reached Loops and been accepted. */
      unknown: boolean;
      /** Loops refused it for its rate limit: waiting a window is what helps, and no attempt was wasted. */
      rateLimited: boolean;
      /** The answer's `Retry-After`, in milliseconds. */
      retryAfterMs?: number;
    }
  /** Nothing went out: the wait for a rate-limit slot was aborted or failed. */
  | { outcome: 'not-sent'; error: LoopsError };

/** Retry-After beyond this is treated as this: a broken proxy must not park an event for days. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * What an answer means for the event. A 409 says Loops already has an event with this key. It is this event's when
 * an earlier attempt may have been accepted, or when the caller chose the key to name one logical event and this is
 * the first request with it. Otherwise the key belongs to another event: a conflict, reported.
 */
export function judgeAnswer(
  response: LoopsTransportResponse,
  details: LoopsApiErrorDetails,
  context: { idempotencyKey: string; keyChosenByCaller: boolean; earlier: EarlierAttempts },
): AttemptResult {
  const { status, headers } = response;
  if (status >= 200 && status < 300) return judgeSuccess(response, details);
  if (status === 409) {
    const { made, unknown } = context.earlier;
    const ours = unknown || (!made && context.keyChosenByCaller);
    if (ours) return { outcome: 'accepted', deduplicated: true };
    return { outcome: 'refused', error: new LoopsIdempotencyConflictError(details, context.idempotencyKey) };
  }
  if (status === 401 || status === 403) return { outcome: 'refused', error: new LoopsAuthError(details) };
  const retryAfterMs = readRetryAfter(headers['retry-after']);
  if (status === 429) {
    const error = new LoopsRateLimitError(
      details,
      readInteger(headers['x-ratelimit-limit']),
      readInteger(headers['x-ratelimit-remaining']),
    );
    return { outcome: 'retryable', error, unknown: false, rateLimited: true, retryAfterMs };
  }
  const error = new LoopsApiError(details);
  // 408: the server (or a proxy) gave up reading the request, so it was not processed. 5xx: it may have been,
  // except 501 and 505, which say the request can't be handled at all.
  if (status === 408) return { outcome: 'retryable', error, unknown: false, rateLimited: false, retryAfterMs };
  if (status >= 500 && status !== 501 && status !== 505) {
    return { outcome: 'retryable', error, unknown: true, rateLimited: false, retryAfterMs };
  }
  return { outcome: 'refused', error };
}

/**
 * A 2xx acknowledges the request only in Loops' JSON. `{ success: false }` is Loops saying no. A body that is not a
 * JSON object comes from something else on the way (a proxy's sign-in page, a web app at a wrong `baseUrl`): whether
 * the request reached Loops is unknown, so it is tried again with its key, which never delivers twice.
 */
function judgeSuccess(response: LoopsTransportResponse, details: LoopsApiErrorDetails): AttemptResult {
  const { body, status } = response;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    if ((body as { success?: unknown }).success !== false) return { outcome: 'accepted', deduplicated: false };
    return { outcome: 'refused', error: new LoopsApiError(details) };
  }
  const error = new LoopsApiError(
    details,
    `Loops answered ${status} without acknowledging: the body is not Loops' JSON`,
  );
  return { outcome: 'retryable', error, unknown: true, rateLimited: false };
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from now. */
function readRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const milliseconds = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - Date.now();
  if (!Number.isFinite(milliseconds)) return undefined;
  return Math.min(Math.max(0, milliseconds), MAX_RETRY_AFTER_MS);
}

function readInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
