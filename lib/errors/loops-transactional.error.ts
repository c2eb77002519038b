import { LoopsApiError, type LoopsApiErrorDetails } from './loops-api.error';

/**
 * Loops refused a transactional email (400 or 404). `path` is the field Loops blamed (`dataVariables`,
 * `transactionalId`, `attachments`, ...) when its answer named one; the message says what to fix.
 */
export class LoopsTransactionalError extends LoopsApiError {
  constructor(
    details: LoopsApiErrorDetails,
    readonly transactionalId: string,
    readonly path: string | undefined,
    summary: string,
  ) {
    super(details, summary);
  }
}
