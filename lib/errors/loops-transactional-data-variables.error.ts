import type { LoopsApiErrorDetails } from './loops-api.error';
import { LoopsTransactionalError } from './loops-transactional.error';

/** 400 about `dataVariables`: the email uses data variables the send did not fill in, or values it can't take. */
export class LoopsTransactionalDataVariablesError extends LoopsTransactionalError {
  constructor(
    details: LoopsApiErrorDetails,
    transactionalId: string,
    path: string | undefined,
    /** The data variables Loops said are missing, when its message listed them; empty otherwise. */
    readonly missingDataVariables: readonly string[],
    loopsMessage: string | undefined,
  ) {
    super(
      details,
      transactionalId,
      path,
      missingDataVariables.length > 0
        ? `Loops refused transactional email "${transactionalId}" (400): it needs the data variable(s) ` +
            `${missingDataVariables.join(', ')}; add them to dataVariables (send "" for an optional one left empty)`
        : `Loops refused transactional email "${transactionalId}" (400): ${loopsMessage ?? 'invalid dataVariables'}; ` +
            "check dataVariables against the email's data variables in Loops",
    );
  }
}
