import { BUILT_IN_CONTACT_PROPERTIES } from '../catalog/loops-catalog';
import type { LoopsValidationIssue } from '../errors/loops-validation.error';
import {
  describeValue,
  findEmailIssues,
  findLengthIssues,
  findNonEmptyStringIssues,
  isSendableDate,
  issue,
  MAX_JSON_LENGTH,
  PROTOTYPE_KEYS,
  readMapKeys,
  RESERVED_CONTACT_PROPERTIES,
} from './loops-event-rules';

/** The keys of a contact body that are not properties: a property of that name would clash with them. */
const CONTACT_BODY_KEYS: readonly string[] = ['email', 'userId', 'mailingLists'];

/**
 * The rules of a contact call's input (`email`, `userId`, `properties`, `mailingLists`), the same as Loops applies
 * to an event's contact: valid email, reserved names, value types, 500 characters of JSON per key and value.
 * `identity` says which of `email` and `userId` the call needs.
 */
export function findContactIssues(
  input: Record<string, unknown>,
  fields: readonly string[],
  identity: 'email' | 'either' | 'exactlyOne',
): LoopsValidationIssue[] {
  // findContact and deleteContact take an identity only: pointing them to `properties` would mislead.
  const hint = fields.includes('properties')
    ? 'custom properties go in properties'
    : `this call takes only ${fields.join(' or ')}`;
  const issues: LoopsValidationIssue[] = Object.keys(input)
    .filter((key) => !fields.includes(key))
    .map((key) => issue(key, 'whitelist', `${key} is not a field of this contact call (${hint})`));
  const { email, userId } = input;
  if (identity === 'email' && email === undefined) issues.push(issue('email', 'required', 'email is required'));
  if (identity !== 'email' && email === undefined && userId === undefined) {
    issues.push(issue('email', 'required', 'email or userId is required'));
  }
  if (identity === 'exactlyOne' && email !== undefined && userId !== undefined) {
    issues.push(issue('userId', 'oneIdentity', 'give email or userId, not both: Loops finds a contact by one of them'));
  }
  if (email !== undefined) issues.push(...findEmailIssues(email, userId));
  if (userId !== undefined) issues.push(...findNonEmptyStringIssues('userId', userId));
  if (fields.includes('properties') && input.properties !== undefined) {
    issues.push(...findPropertiesIssues(input.properties));
  }
  if (fields.includes('mailingLists') && input.mailingLists !== undefined) {
    issues.push(...findMailingListsIssues(input.mailingLists));
  }
  return issues;
}

function findPropertiesIssues(value: unknown): LoopsValidationIssue[] {
  return findMapIssues('properties', value, (path, key, property) => {
    if (RESERVED_CONTACT_PROPERTIES.includes(key)) {
      return [issue(path, 'reservedName', `${path} is a reserved Loops contact property name`)];
    }
    if (CONTACT_BODY_KEYS.includes(key)) {
      return [issue(path, 'fixedKey', `${path} clashes with the "${key}" field of the call: set it there`)];
    }
    // Left out of the body, as JSON leaves it out.
    if (property === undefined) return [];
    if (Object.hasOwn(BUILT_IN_CONTACT_PROPERTIES, key)) return findBuiltInIssues(path, key, property);
    if (property === null || typeof property === 'boolean') return [];
    if (typeof property === 'string') return findLengthIssues(path, property);
    if (typeof property === 'number' && Number.isFinite(property)) return [];
    if (isSendableDate(property)) return [];
    return [
      issue(
        path,
        'isPropertyValue',
        `${path} must be a string, a finite number, a boolean, a valid Date or null (got ${describeValue(property)})`,
      ),
    ];
  });
}

/** Loops' own contact properties have their types: `subscribed` a boolean, the others strings (null clears). */
function findBuiltInIssues(path: string, key: string, value: unknown): LoopsValidationIssue[] {
  const type = BUILT_IN_CONTACT_PROPERTIES[key as keyof typeof BUILT_IN_CONTACT_PROPERTIES];
  if (type === 'boolean') {
    return typeof value === 'boolean'
      ? []
      : [issue(path, 'isBoolean', `${path} must be a boolean (got ${describeValue(value)})`)];
  }
  if (value === null) return [];
  if (typeof value === 'string') return findLengthIssues(path, value);
  return [issue(path, 'isString', `${path} must be a string or null (got ${describeValue(value)})`)];
}

function findMailingListsIssues(value: unknown): LoopsValidationIssue[] {
  return findMapIssues('mailingLists', value, (path, _key, subscribed) =>
    typeof subscribed === 'boolean' || subscribed === undefined
      ? []
      : [issue(path, 'isBoolean', `${path} must be true or false (got ${describeValue(subscribed)})`)],
  );
}

/** A flat map's shape and keys; `checkEntry` judges each entry whose key is acceptable. */
function findMapIssues(
  field: string,
  value: unknown,
  checkEntry: (path: string, key: string, entry: unknown) => LoopsValidationIssue[],
): LoopsValidationIssue[] {
  const keys = readMapKeys(field, value);
  if (!Array.isArray(keys)) return [keys];
  const map = value as Record<string, unknown>;
  const issues: LoopsValidationIssue[] = [];
  for (const key of keys) {
    const path = `${field}.${key}`;
    if (key === '') issues.push(issue(field, 'nonEmptyKey', `${field} must not have an empty key`));
    else if (PROTOTYPE_KEYS.includes(key)) issues.push(issue(path, 'forbiddenKey', `${path} is not allowed as a key`));
    else if (JSON.stringify(key).length > MAX_JSON_LENGTH) {
      issues.push(
        issue(
          `${field}.${key.slice(0, 40)}…`,
          'maxLength',
          `${field} has a key longer than ${MAX_JSON_LENGTH} characters (as JSON)`,
        ),
      );
    } else issues.push(...checkEntry(path, key, map[key]));
  }
  return issues;
}
