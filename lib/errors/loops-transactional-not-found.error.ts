import type { LoopsApiErrorDetails } from './loops-api.error';
import { LoopsTransactionalError } from './loops-transactional.error';

/** 404: the team has no transactional email with this `transactionalId`. */
export class LoopsTransactionalNotFoundError extends LoopsTransactionalError {
  constructor(details: LoopsApiErrorDetails, transactionalId: string, path: string | undefined) {
    super(
      details,
      transactionalId,
      path,
      `Loops has no transactional email "${transactionalId}" (404): check transactionalId against the ID on the ` +
        "email's page in Loops, and that the API key belongs to that team",
    );
  }
}
