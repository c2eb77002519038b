import type { LoopsApiErrorDetails } from './loops-api.error';
import { LoopsContactError } from './loops-contact.error';

/** 404 to `deleteContact`: Loops has no contact with this email or user id. */
export class LoopsContactNotFoundError extends LoopsContactError {
  constructor(details: LoopsApiErrorDetails) {
    super(details, 'delete', 'Loops has no contact with this email or userId (404): nothing was deleted');
  }
}
