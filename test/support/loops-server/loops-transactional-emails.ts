import type { LoopsAccountAnswer } from './loops-account';

/** A transactional email of the account, as a test seeds it. */
export interface SeededTransactionalEmail {
  /** Its `transactionalId`. */
  id: string;
  /** The data variables a send must give (an optional one may be left out). */
  dataVariables?: string[];
  /** Default true; a draft is refused with 400. */
  published?: boolean;
}

const MAX_JSON_LENGTH = 500;
const TRANSACTIONAL_FIELDS = new Set(['transactionalId', 'email', 'addToAudience', 'dataVariables', 'attachments']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The transactional emails behind `POST /api/v1/transactional` of the Loops-compatible server, answering with the
 * bodies of Loops' OpenAPI spec 1.21.6: 404 `TransactionalFailure3Response` for an unknown email, 400
 * `TransactionalFailure5Response` for missing data variables, `TransactionalFailure2Response` for a malformed
 * field, `TransactionalFailure4Response` for attachments a team has not had enabled. Until a test seeds emails,
 * any `transactionalId` is taken.
 */
export class LoopsTransactionalEmails {
  /** Whether attachments are enabled for the team (Loops enables them on request). Default true. */
  attachmentsEnabled = true;
  private emails: Map<string, SeededTransactionalEmail> | undefined;

  seed(emails: SeededTransactionalEmail[]): void {
    this.emails = new Map(emails.map((email) => [email.id, email]));
  }

  clear(): void {
    this.emails = undefined;
    this.attachmentsEnabled = true;
  }

  /** The refusal of a `POST /transactional` body, in the order Loops checks; undefined when it is sent. */
  check(body: unknown): LoopsAccountAnswer | undefined {
    const malformed = findMalformedField(body);
    if (malformed) return refusal({ success: false, message: malformed.message, path: malformed.path });
    const { transactionalId, dataVariables, attachments } = body as Record<string, unknown>;
    const id = transactionalId as string;
    const email = this.emails?.get(id);
    if (this.emails && !email) {
      const message = 'Transactional email not found.';
      return { status: 404, body: { success: false, message, error: { path: 'transactionalId', message } } };
    }
    if (email?.published === false) {
      const message = 'Transactional email is not published.';
      return refusal({ success: false, message, error: { path: 'transactionalId', message } });
    }
    const given = (dataVariables ?? {}) as Record<string, unknown>;
    const missing = (email?.dataVariables ?? []).filter((name) => !(name in given));
    if (missing.length > 0) {
      const message = `Missing required data variable(s): ${missing.join(', ')}`;
      return refusal({ success: false, message, error: { path: 'dataVariables', message }, transactionalId: id });
    }
    if (attachments !== undefined && !this.attachmentsEnabled) {
      return refusal({
        success: false,
        message: 'Attachments are not enabled for this team.',
        error: { path: 'attachments', reason: 'Contact Loops support to enable attachments.' },
      });
    }
    return undefined;
  }
}

function refusal(body: Record<string, unknown>): LoopsAccountAnswer {
  return { status: 400, body };
}

/** `TransactionalRequest`'s shape: the first field that breaks it, with what is wrong. */
function findMalformedField(body: unknown): { path: string; message: string } | undefined {
  if (!isPlainObject(body)) return { path: 'body', message: 'Request body must be a JSON object.' };
  for (const key of Object.keys(body)) {
    if (!TRANSACTIONAL_FIELDS.has(key)) return { path: key, message: `Unknown field ${key}.` };
  }
  const { transactionalId, email, addToAudience, dataVariables, attachments } = body;
  if (typeof transactionalId !== 'string' || transactionalId === '') {
    return { path: 'transactionalId', message: 'transactionalId is required.' };
  }
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    return { path: 'email', message: 'A valid email is required.' };
  }
  if (JSON.stringify(email).length > MAX_JSON_LENGTH) return { path: 'email', message: 'email is too long.' };
  if (addToAudience !== undefined && typeof addToAudience !== 'boolean') {
    return { path: 'addToAudience', message: 'addToAudience must be a boolean.' };
  }
  if (dataVariables !== undefined) {
    if (!isPlainObject(dataVariables)) return { path: 'dataVariables', message: 'dataVariables must be an object.' };
    for (const [name, value] of Object.entries(dataVariables)) {
      if (!isDataVariable(value)) {
        return { path: `dataVariables.${name}`, message: 'Data variables must be strings, numbers or arrays.' };
      }
    }
  }
  if (attachments !== undefined) {
    if (!Array.isArray(attachments)) return { path: 'attachments', message: 'attachments must be an array.' };
    for (const [index, file] of attachments.entries()) {
      const valid =
        isPlainObject(file) &&
        typeof file.filename === 'string' &&
        typeof file.contentType === 'string' &&
        typeof file.data === 'string' &&
        BASE64.test(file.data) &&
        file.data.length % 4 === 0;
      if (!valid) return { path: `attachments[${index}]`, message: 'Invalid attachment.' };
    }
  }
  return undefined;
}

function isDataVariable(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'number') return true;
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        isPlainObject(item) &&
        Object.values(item).every((field) => typeof field === 'string' || typeof field === 'number'),
    )
  );
}
