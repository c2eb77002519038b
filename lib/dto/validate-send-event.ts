import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { LoopsValidationError, LoopsValidationIssue } from '../errors/loops-validation.error';
import { LOOPS_FIELD_CONSTRAINT } from './is-loops-field.decorator';
import { findFieldIssues, LoopsEventField } from './loops-event-rules';
import { SendEventDto, SendEventInput } from './send-event.dto';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;
const EVENT_FIELDS: readonly string[] = [
  'eventName',
  'email',
  'userId',
  'eventProperties',
  'contactProperties',
  'mailingLists',
];

/**
 * Applies the `SendEventDto` rules to a plain object or a DTO instance.
 * @throws LoopsValidationError listing every violation.
 */
export function validateSendEvent(input: SendEventInput | SendEventDto): SendEventDto {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new LoopsValidationError([
      { path: 'event', rule: 'isObject', message: 'the event must be an object with an eventName' },
    ]);
  }
  const issues: LoopsValidationIssue[] = [];
  let dto: SendEventDto;
  if (input instanceof SendEventDto) {
    dto = input;
  } else {
    issues.push(
      ...Object.keys(input)
        .filter((key) => !EVENT_FIELDS.includes(key))
        .map(unknownFieldIssue),
    );
    dto = toDto(input as unknown as Record<string, unknown>);
  }
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  issues.push(...errors.flatMap((error) => toIssues(error, dto)));
  if (issues.length > 0) throw new LoopsValidationError(issues);
  return dto;
}

/**
 * Only the known fields, and only their primitive values, go through class-transformer. Objects are the
 * maps (flat by rule) or invalid anyway, and class-transformer would recurse into their cycles and drop
 * keys such as `__proto__` silently: they are attached as given for the rules to judge.
 */
function toDto(input: Record<string, unknown>): SendEventDto {
  const primitives: Record<string, unknown> = {};
  const objects: Record<string, unknown> = {};
  for (const field of EVENT_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value === 'object' && value !== null) objects[field] = value;
    else primitives[field] = value;
  }
  return Object.assign(plainToInstance(SendEventDto, primitives), objects);
}

function unknownFieldIssue(field: string): LoopsValidationIssue {
  return {
    path: field,
    rule: 'whitelist',
    message: `${field} is not a field of a Loops event (contact properties go in contactProperties)`,
  };
}

/** @throws LoopsValidationError when a caller-supplied idempotency key can't be sent as the header. */
export function validateIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined || (typeof key === 'string' && IDEMPOTENCY_KEY.test(key))) return key;
  throw new LoopsValidationError([
    {
      path: 'idempotencyKey',
      rule: 'idempotencyKey',
      message: 'idempotencyKey must be 1 to 100 printable ASCII characters, without spaces or line breaks',
    },
  ]);
}

function toIssues(error: ValidationError, dto: SendEventDto): LoopsValidationIssue[] {
  const constraints = error.constraints ?? {};
  if (LOOPS_FIELD_CONSTRAINT in constraints) {
    return findFieldIssues(error.property as LoopsEventField, error.value, dto);
  }
  if ('whitelistValidation' in constraints) return [unknownFieldIssue(error.property)];
  return Object.entries(constraints).map(([rule, message]) => ({ path: error.property, rule, message }));
}
