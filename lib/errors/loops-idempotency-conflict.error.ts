import { LoopsApiError, LoopsApiErrorDetails } from './loops-api.error';

/** 409 on the first attempt: the idempotency key was already used in the last 24 hours. */
export class LoopsIdempotencyConflictError extends LoopsApiError {
  constructor(
    details: LoopsApiErrorDetails,
    readonly idempotencyKey: string,
  ) {
    super(details, `Loops already received an event with idempotency key "${idempotencyKey}" (409)`);
  }
}
