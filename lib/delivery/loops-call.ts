import type { LoopsApiErrorDetails } from '../errors/loops-api.error';
import type { LoopsError } from '../errors/loops.error';
import type { LoopsTransportResponse } from '../transport/loops-transport';
import type { AttemptResult, EarlierAttempts } from './attempt-result';

/**
 * An awaited request that is not a delivery (a contact read or write): what it asks, and how an answer is read.
 * `LoopsSender.call` makes it with the rate limiter, timeouts and retries every request of the module has.
 */
export interface LoopsCall<T> {
  method: 'GET' | 'POST' | 'PUT';
  /** Below the base URL, query included: `/contacts/find?email=...`. */
  path: string;
  /** The JSON text of the body, when it has one. */
  body?: string;
  /** What an answer means, given what the earlier attempts of this call showed. */
  judge(response: LoopsTransportResponse, details: LoopsApiErrorDetails, earlier: EarlierAttempts): LoopsCallVerdict<T>;
  /** In dry run nothing is sent: the log line's description of the call, and the value it resolves with. */
  dryRun: { description: string; value: T };
}

/** An answer read: the call's value, or what went wrong as for a delivery attempt. */
export type LoopsCallVerdict<T> = { outcome: 'accepted'; value: T } | Exclude<AttemptResult, { outcome: 'accepted' }>;

export type LoopsCallResult<T> =
  | { ok: true; value: T; attempts: number; dryRun: boolean }
  | { ok: false; error: LoopsError; attempts: number; mayHaveBeenAccepted: boolean };
