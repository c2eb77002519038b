import type { LoopsValidationIssue } from '../errors/loops-validation.error';
import {
  describeValue,
  findEmailIssues,
  findLengthIssues,
  isPlainObject,
  issue,
  MAX_PROPERTIES,
  PROTOTYPE_KEYS,
  readMapKeys,
} from './loops-event-rules';

/**
 * Loops documents no size limit for attachments. This package's own guard: the files of one send, decoded, may
 * weigh this much. Mail servers commonly refuse messages of 10 to 25 MB, and base64 makes a file a third larger on
 * the way; a send held in the queue (or in Redis) should not weigh more either.
 */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export type LoopsTransactionalField = 'transactionalId' | 'email' | 'addToAudience' | 'dataVariables' | 'attachments';

export const TRANSACTIONAL_FIELDS: readonly LoopsTransactionalField[] = [
  'transactionalId',
  'email',
  'addToAudience',
  'dataVariables',
  'attachments',
];

const ATTACHMENT_FIELDS: readonly string[] = ['filename', 'contentType', 'data'];
/**
 * A character outside RFC 4648's base64 alphabet and its padding. A search for one such character instead of a
 * pattern matching the whole text: on a 14 MB attachment, V8 can give up on `^[...]+$` with a RangeError.
 */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
/** `type/subtype`, optionally with parameters (`text/plain; charset=utf-8`); RFC 6838 names. */
const MIME_TYPE =
  /^[A-Za-z0-9][\w!#$&^.+-]*\/[A-Za-z0-9][\w!#$&^.+-]*(?:\s*;\s*[\w!#$&^.+-]+=(?:[\w!#$&^.+-]+|"[^"\\\r\n]*"))*$/;
// A control character in a file name or type would end up in the message's MIME headers.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/** The rules of one field of a transactional email, as issues; an empty list means the field is valid. */
export function findTransactionalFieldIssues(field: LoopsTransactionalField, value: unknown): LoopsValidationIssue[] {
  switch (field) {
    case 'transactionalId':
      return findTransactionalIdIssues(value);
    case 'email':
      return value === undefined
        ? [issue('email', 'required', 'email is required')]
        : findEmailIssues(value, undefined);
    case 'addToAudience':
      return value === undefined || typeof value === 'boolean'
        ? []
        : [issue('addToAudience', 'isBoolean', `addToAudience must be a boolean (got ${describeValue(value)})`)];
    case 'dataVariables':
      return value === undefined ? [] : findDataVariablesIssues('dataVariables', value, true);
    case 'attachments':
      return value === undefined ? [] : findAttachmentsIssues(value);
  }
}

function findTransactionalIdIssues(value: unknown): LoopsValidationIssue[] {
  if (value === undefined) return [issue('transactionalId', 'required', 'transactionalId is required')];
  if (typeof value !== 'string' || value === '') {
    return [
      issue(
        'transactionalId',
        'isNonEmptyString',
        `transactionalId must be a non-empty string (got ${describeValue(value)})`,
      ),
    ];
  }
  if (/\s/.test(value)) {
    return [
      issue(
        'transactionalId',
        'isTransactionalId',
        'transactionalId must be the ID of the transactional email (copy it from its page in Loops), not its name: ' +
          'an ID has no spaces',
      ),
    ];
  }
  return findLengthIssues('transactionalId', value);
}

/**
 * Loops takes strings and numbers, and for an array block in the email an array of objects of strings and numbers.
 * `nested` is false inside such an array, where only strings and numbers are allowed.
 */
function findDataVariablesIssues(path: string, value: unknown, nested: boolean): LoopsValidationIssue[] {
  const keys = readMapKeys(path, value);
  if (!Array.isArray(keys)) return [keys];
  const map = value as Record<string, unknown>;
  const issues: LoopsValidationIssue[] = [];
  for (const key of keys) {
    const keyPath = `${path}.${key}`;
    if (key === '') {
      issues.push(issue(path, 'nonEmptyKey', `${path} must not have an empty key`));
    } else if (PROTOTYPE_KEYS.includes(key)) {
      issues.push(issue(keyPath, 'forbiddenKey', `${keyPath} is not allowed as a key`));
    } else {
      issues.push(...findDataVariableValueIssues(keyPath, map[key], nested));
    }
  }
  return issues;
}

function findDataVariableValueIssues(path: string, value: unknown, nested: boolean): LoopsValidationIssue[] {
  if (typeof value === 'string') return [];
  if (typeof value === 'number' && Number.isFinite(value)) return [];
  if (nested && Array.isArray(value)) {
    if (value.length > MAX_PROPERTIES) {
      return [issue(path, 'maxItems', `${path} must have at most ${MAX_PROPERTIES} items (got ${value.length})`)];
    }
    return value.flatMap((item, index) => findDataVariablesIssues(`${path}[${index}]`, item, false));
  }
  const allowed = nested
    ? 'a string, a finite number, or an array of objects of strings and numbers (for an array block)'
    : 'a string or a finite number';
  return [issue(path, 'isDataVariable', `${path} must be ${allowed} (got ${describeValue(value)}${hint(value)})`)];
}

/** What to send instead of a value Loops would refuse, where the fix is not obvious. */
function hint(value: unknown): string {
  if (value === null || value === undefined) return '; send "" for an optional data variable left empty';
  if (value instanceof Date) return '; format it as the text the email should show';
  if (typeof value === 'boolean') return '; send the text the email should show, such as "yes"';
  return '';
}

function findAttachmentsIssues(value: unknown): LoopsValidationIssue[] {
  if (!Array.isArray(value)) {
    return [issue('attachments', 'isArray', `attachments must be an array (got ${describeValue(value)})`)];
  }
  const issues: LoopsValidationIssue[] = [];
  let bytes = 0;
  value.forEach((attachment: unknown, index) => {
    const path = `attachments[${index}]`;
    if (!isPlainObject(attachment)) {
      issues.push(
        issue(
          path,
          'isObject',
          `${path} must be an object { filename, contentType, data } (got ${describeValue(attachment)})`,
        ),
      );
      return;
    }
    for (const key of Object.keys(attachment)) {
      if (!ATTACHMENT_FIELDS.includes(key)) {
        issues.push(issue(`${path}.${key}`, 'whitelist', `${path}.${key} is not a field of an attachment`));
      }
    }
    issues.push(...findHeaderTextIssues(`${path}.filename`, attachment.filename));
    issues.push(...findContentTypeIssues(`${path}.contentType`, attachment.contentType));
    const dataIssues = findBase64Issues(`${path}.data`, attachment.data);
    issues.push(...dataIssues);
    if (dataIssues.length === 0) bytes += decodedLength(attachment.data as string);
  });
  if (bytes > MAX_ATTACHMENT_BYTES) {
    issues.push(
      issue(
        'attachments',
        'maxSize',
        `attachments must total at most ${MAX_ATTACHMENT_BYTES} bytes decoded (got ${bytes}); link to large files instead`,
      ),
    );
  }
  return issues;
}

function findHeaderTextIssues(path: string, value: unknown): LoopsValidationIssue[] {
  if (typeof value !== 'string' || value.trim() === '') {
    return [issue(path, 'isNonEmptyString', `${path} must be a non-empty string (got ${describeValue(value)})`)];
  }
  if (CONTROL_CHARACTER.test(value)) {
    return [issue(path, 'noControlCharacters', `${path} must not contain line breaks or other control characters`)];
  }
  return [];
}

function findContentTypeIssues(path: string, value: unknown): LoopsValidationIssue[] {
  const textIssues = findHeaderTextIssues(path, value);
  if (textIssues.length > 0) return textIssues;
  return MIME_TYPE.test(value as string)
    ? []
    : [issue(path, 'isMimeType', `${path} must be a MIME type such as application/pdf`)];
}

function findBase64Issues(path: string, value: unknown): LoopsValidationIssue[] {
  if (typeof value !== 'string' || value === '') {
    return [
      issue(path, 'isNonEmptyString', `${path} must be the file's content in base64 (got ${describeValue(value)})`),
    ];
  }
  if (value.startsWith('data:')) {
    return [
      issue(path, 'isBase64', `${path} must be plain base64, without the "data:...;base64," prefix of a data URL`),
    ];
  }
  if (!isBase64OnOneLine(value)) {
    return [
      issue(
        path,
        'isBase64',
        `${path} must be base64 on one line (A-Z, a-z, 0-9, +, /, = padding; no line breaks), as Buffer.toString('base64') gives`,
      ),
    ];
  }
  return [];
}

/** Base64 characters on one line, a length divisible by 4, and at most two `=`, at the very end. */
function isBase64OnOneLine(value: string): boolean {
  if (value.length % 4 !== 0 || NOT_BASE64.test(value)) return false;
  const padding = value.indexOf('=');
  return padding === -1 || padding === value.length - 1 || (padding === value.length - 2 && value.endsWith('='));
}

function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}
