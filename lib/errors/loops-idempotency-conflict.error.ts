import { maskEmails } from '../utils/mask-email';
import { LoopsApiError, LoopsApiErrorDetails } from './loops-api.error';

/** 409 on the first attempt: the idempotency key was already used in the last 24 hours. */
export class LoopsIdempotencyConflictError extends LoopsApiError {
  constructor(
    details: LoopsApiErrorDetails,
    override readonly idempotencyKey: string,
  ) {
    // Keys often name their contact (`trialEnding-ada@example.com`): the message, which ends up in logs, masks it.
    super(details, maskEmails(`Loops already received an event with idempotency key "${idempotencyKey}" (409)`));
  }
}
