import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { LoopsValidationError, LoopsValidationIssue } from '../errors/loops-validation.error';
import { LOOPS_FIELD_CONSTRAINT } from './is-loops-field.decorator';
import { findFieldIssues, LoopsEventField } from './loops-event-rules';
import { SendEventDto, SendEventInput } from './send-event.dto';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;
// Keys class-transformer drops without a word; a caller who sent them must hear about it.
const DROPPED_BY_TRANSFORMER = ['__proto__', 'constructor'];

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
  const issues: LoopsValidationIssue[] = Object.keys(input)
    .filter((key) => DROPPED_BY_TRANSFORMER.includes(key))
    .map((key) => ({ path: key, rule: 'whitelist', message: `${key} is not a field of a Loops event` }));
  const dto = input instanceof SendEventDto ? input : toDto(input);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  issues.push(...errors.flatMap((error) => toIssues(error, dto)));
  if (issues.length > 0) throw new LoopsValidationError(issues);
  return dto;
}

/**
 * The maps are attached as given rather than run through class-transformer: their values must be flat
 * anyway, and a hostile map (cycles, odd keys) is the rules' to reject, not class-transformer's to trip on.
 */
function toDto(input: SendEventInput): SendEventDto {
  const { eventProperties, contactProperties, mailingLists, ...fields } = input;
  const dto = plainToInstance(SendEventDto, fields);
  if (eventProperties !== undefined) dto.eventProperties = eventProperties;
  if (contactProperties !== undefined) dto.contactProperties = contactProperties;
  if (mailingLists !== undefined) dto.mailingLists = mailingLists;
  return dto;
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
  if ('whitelistValidation' in constraints) {
    return [
      {
        path: error.property,
        rule: 'whitelist',
        message: `${error.property} is not a field of a Loops event (contact properties go in contactProperties)`,
      },
    ];
  }
  return Object.entries(constraints).map(([rule, message]) => ({ path: error.property, rule, message }));
}
