import { LoopsApiError, type LoopsApiErrorDetails } from './loops-api.error';

/** Loops refused a contact call (400, 404 or 409); the message says which contact call and what to fix. */
export class LoopsContactError extends LoopsApiError {
  constructor(
    details: LoopsApiErrorDetails,
    /** `create`, `update`, `find` or `delete`. */
    readonly operation: string,
    summary: string,
  ) {
    super(details, summary);
  }
}
