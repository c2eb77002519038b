import { LoopsValidationError, type LoopsValidationIssue } from '../errors/loops-validation.error';
import { findTransactionalFieldIssues, TRANSACTIONAL_FIELDS } from './loops-transactional-rules';
import type { SendTransactionalDto, SendTransactionalInput } from './send-transactional.dto';
import { NO_ISSUES } from './validate-send-event';

/**
 * Applies the `SendTransactionalDto` rules to a plain object or a DTO instance, reporting every violation at once,
 * the send's idempotency key's (`keyIssues`) included.
 * @throws LoopsValidationError listing them.
 */
export function validateSendTransactional(
  input: SendTransactionalInput | SendTransactionalDto,
  keyIssues: readonly LoopsValidationIssue[] = NO_ISSUES,
): SendTransactionalInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new LoopsValidationError(
      [
        {
          path: 'transactional',
          rule: 'isObject',
          message: 'the transactional email must be an object with a transactionalId',
        },
        ...keyIssues,
      ],
      'transactional email',
    );
  }
  const record = input as unknown as Record<string, unknown>;
  const issues = Object.keys(record)
    .filter((key) => !(TRANSACTIONAL_FIELDS as readonly string[]).includes(key))
    .map((key) => ({
      path: key,
      rule: 'whitelist',
      message: `${key} is not a field of a Loops transactional email (values for the email go in dataVariables)`,
    }));
  for (const field of TRANSACTIONAL_FIELDS) issues.push(...findTransactionalFieldIssues(field, record[field]));
  issues.push(...keyIssues);
  if (issues.length > 0) throw new LoopsValidationError(issues, 'transactional email');
  return input;
}
