import { LoopsError } from './loops.error';

export interface LoopsValidationIssue {
  /** Path of the offending field, e.g. `eventProperties.plan` or `email`. */
  path: string;
  /** Short machine-readable name of the rule, e.g. `isEmail`. */
  rule: string;
  message: string;
}

/** The event, transactional email or contact (or a send option) breaks a rule; nothing was sent. */
export class LoopsValidationError extends LoopsError {
  /** `subject` names what was invalid in the message: `event` (the default), `transactional email`, `contact`. */
  constructor(
    readonly errors: readonly LoopsValidationIssue[],
    subject = 'event',
  ) {
    super(`Invalid Loops ${subject}: ${errors.map((issue) => issue.message).join('; ')}`);
  }
}
