import { isEmail } from 'class-validator';
import type { LoopsValidationIssue } from '../errors/loops-validation.error';

/** Loops' limit on every key and value of the body, counted as JSON text with the quotes. */
export const MAX_JSON_LENGTH = 500;
/** This package's own guard: a map this large is almost always an object spread by mistake. */
export const MAX_PROPERTIES = 1_000;

export const RESERVED_CONTACT_PROPERTIES: readonly string[] = ['id', 'listId', 'softDeleteAt', 'teamId', 'updatedAt'];
export const FIXED_BODY_KEYS: readonly string[] = ['email', 'userId', 'eventName', 'eventProperties', 'mailingLists'];
export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * Addresses of the everyday shape: ASCII, a dot-separated local part of at most 64 characters, hyphenated labels
 * and a TLD of letters. class-validator's `isEmail` accepts every one of them (a test holds it to that); this one
 * expression spares them its option merging, splits and per-part checks. Anything else goes to `isEmail`, the rule.
 */
const EVERYDAY_EMAIL =
  /^(?=.{6,254}$)(?=[^@]{1,64}@)[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*@(?:[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?\.)+[a-z]{2,63}$/i;

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export type LoopsEventField = 'eventName' | 'email' | 'userId' | PropertyMapField;
export type PropertyMapField = 'eventProperties' | 'contactProperties' | 'mailingLists';

interface EventShape {
  email?: unknown;
  userId?: unknown;
}

/** The rules of one field of the event, as issues; an empty list means the field is valid. */
export function findFieldIssues(field: LoopsEventField, value: unknown, event: EventShape): LoopsValidationIssue[] {
  switch (field) {
    case 'eventName':
      return findEventNameIssues(value);
    case 'email':
      return findEmailIssues(value, event.userId);
    case 'userId':
      return value === undefined ? [] : findNonEmptyStringIssues('userId', value);
    default:
      return findPropertyMapIssues(field, value);
  }
}

function findEventNameIssues(value: unknown): LoopsValidationIssue[] {
  if (value === undefined) return [issue('eventName', 'required', 'eventName is required')];
  const issues = findNonEmptyStringIssues('eventName', value);
  if (issues.length === 0 && (value as string).includes(':')) {
    issues.push(issue('eventName', 'noColon', 'eventName must not contain a colon (":")'));
  }
  return issues;
}

export function findEmailIssues(value: unknown, userId: unknown): LoopsValidationIssue[] {
  if (value === undefined) {
    return userId === undefined ? [issue('email', 'required', 'email or userId is required')] : [];
  }
  if (typeof value !== 'string' || !isValidEmail(value)) {
    return [issue('email', 'isEmail', `email must be a valid email address (got ${describeValue(value)})`)];
  }
  return findLengthIssues('email', value);
}

/**
 * class-validator's isEmail, but never an address with a control character: isEmail takes a line break inside a quoted
 * local part, which would split the log line it is written in.
 */
export function isValidEmail(value: string): boolean {
  return EVERYDAY_EMAIL.test(value) || (!CONTROL_CHARACTER.test(value) && isEmail(value));
}

export function findNonEmptyStringIssues(path: string, value: unknown): LoopsValidationIssue[] {
  if (typeof value !== 'string' || value === '') {
    return [issue(path, 'isNonEmptyString', `${path} must be a non-empty string (got ${describeValue(value)})`)];
  }
  return findLengthIssues(path, value);
}

function findPropertyMapIssues(field: PropertyMapField, value: unknown): LoopsValidationIssue[] {
  if (value === undefined) return [];
  const keys = readMapKeys(field, value);
  if (!Array.isArray(keys)) return [keys];
  const map = value as Record<string, unknown>;
  const issues: LoopsValidationIssue[] = [];
  for (const key of keys) {
    const path = `${field}.${key}`;
    const keyIssue = findKeyIssue(field, key, path);
    if (keyIssue) {
      issues.push(keyIssue);
      continue;
    }
    issues.push(...findMapValueIssues(field, map[key], path));
  }
  return issues;
}

/** The keys of `value` as a map at `path`, or why it can't be one: not a plain object, or too many keys. */
export function readMapKeys(path: string, value: unknown): string[] | LoopsValidationIssue {
  if (!isPlainObject(value)) {
    return issue(path, 'isObject', `${path} must be a plain object (got ${describeValue(value)})`);
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_PROPERTIES) {
    return issue(path, 'maxProperties', `${path} must have at most ${MAX_PROPERTIES} keys (got ${keys.length})`);
  }
  return keys;
}

/** A Map, a class instance or a Date would be sent as `{}` or worse: only plain objects are maps here. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function findKeyIssue(field: PropertyMapField, key: string, path: string): LoopsValidationIssue | undefined {
  if (key === '') return issue(field, 'nonEmptyKey', `${field} must not have an empty key`);
  if (PROTOTYPE_KEYS.includes(key)) return issue(path, 'forbiddenKey', `${path} is not allowed as a key`);
  if (JSON.stringify(key).length > MAX_JSON_LENGTH) {
    return issue(
      `${field}.${key.slice(0, 40)}…`,
      'maxLength',
      `${field} has a key longer than ${MAX_JSON_LENGTH} characters (as JSON)`,
    );
  }
  if (field !== 'contactProperties') return undefined;
  if (RESERVED_CONTACT_PROPERTIES.includes(key)) {
    return issue(path, 'reservedName', `${path} is a reserved Loops contact property name`);
  }
  if (FIXED_BODY_KEYS.includes(key)) {
    return issue(path, 'fixedKey', `${path} clashes with the "${key}" field of the event body`);
  }
  return undefined;
}

function findMapValueIssues(field: PropertyMapField, value: unknown, path: string): LoopsValidationIssue[] {
  // Left out of the body, as JSON leaves it out: `{ coupon: user.coupon }` for an optional property.
  if (value === undefined) return [];
  if (field === 'mailingLists') {
    return typeof value === 'boolean'
      ? []
      : [issue(path, 'isBoolean', `${path} must be a boolean (got ${describeValue(value)})`)];
  }
  if (value === null && field === 'contactProperties') return [];
  if (typeof value === 'string') return findLengthIssues(path, value);
  if (typeof value === 'boolean') return [];
  if (typeof value === 'number' && Number.isFinite(value)) return [];
  if (isSendableDate(value)) return [];
  const allowed =
    field === 'contactProperties'
      ? 'a string, a finite number, a boolean, a valid Date or null'
      : 'a string, a finite number, a boolean or a valid Date';
  return [issue(path, 'isPropertyValue', `${path} must be ${allowed} (got ${describeValue(value)})`)];
}

export function findLengthIssues(path: string, value: string): LoopsValidationIssue[] {
  // JSON writes a UTF-16 unit as at most 6 characters (`\uXXXX`): a string this short can't pass the limit.
  if (value.length * 6 + 2 <= MAX_JSON_LENGTH) return [];
  const length = JSON.stringify(value).length;
  return length > MAX_JSON_LENGTH
    ? [issue(path, 'maxLength', `${path} must be at most ${MAX_JSON_LENGTH} characters as JSON (got ${length})`)]
    : [];
}

export function issue(path: string, rule: string, message: string): LoopsValidationIssue {
  return { path, rule, message };
}

/**
 * A Date JSON writes as a plain ISO 8601 string: a valid one, in the years 0 to 9999. Beyond them `toISOString`
 * gives a sign and six digits (`+010000-01-01T…`), which is no date Loops reads.
 */
export function isSendableDate(value: unknown): value is Date {
  if (!(value instanceof Date)) return false;
  const year = value.getUTCFullYear();
  return year >= 0 && year <= 9999;
}

/**
 * A short, safe description of a rejected value: its type, never its content (it may be personal data, and these
 * messages reach logs); only NaN and ±Infinity are named, since they are what a rule refuses.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return 'an invalid Date';
    return isSendableDate(value) ? 'a Date' : 'a Date outside the years 0 to 9999';
  }
  if (value instanceof Map) return 'a Map';
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : String(value);
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
