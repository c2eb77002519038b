import type { LoopsApiErrorDetails } from './loops-api.error';
import { LoopsContactError } from './loops-contact.error';

/**
 * 409 to `createContact`: Loops already has a contact with this email or user id. When `mayHaveBeenAccepted` is true,
 * an earlier attempt of the same call (whose answer was lost) may be the one that created it.
 */
export class LoopsContactExistsError extends LoopsContactError {
  constructor(details: LoopsApiErrorDetails, createdByEarlierAttempt: boolean) {
    super(
      details,
      'create',
      'Loops already has a contact with this email or userId (409): use updateContact to change it' +
        (createdByEarlierAttempt
          ? '; an earlier attempt of this call, whose answer was lost, may have created it'
          : ''),
    );
    this.mayHaveBeenAccepted = createdByEarlierAttempt;
  }
}
