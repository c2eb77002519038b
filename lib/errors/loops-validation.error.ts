import { LoopsError } from './loops.error';

export interface LoopsValidationIssue {
  /** Path of the offending field, e.g. `eventProperties.plan` or `email`. */
  path: string;
  /** Short machine-readable name of the rule, e.g. `isEmail`. */
  rule: string;
  message: string;
}

/** The event (or a send option) breaks a rule; nothing was sent. */
export class LoopsValidationError extends LoopsError {
  constructor(readonly errors: readonly LoopsValidationIssue[]) {
    super(`Invalid Loops event: ${errors.map((issue) => issue.message).join('; ')}`);
  }
}
