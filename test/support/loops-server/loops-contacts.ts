import { createHash } from 'node:crypto';
import type { LoopsAccountAnswer } from './loops-account';
import type { RecordedRequest } from './loops-compatible-server';

/** A contact as the server keeps it: `Contact` of Loops' OpenAPI spec, custom properties beside the built-in ones. */
export type StoredContact = {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  source: string;
  subscribed: boolean;
  userGroup: string;
  userId: string | null;
  mailingLists: Record<string, true>;
  optInStatus: 'accepted' | 'pending' | 'rejected' | null;
} & Record<string, unknown>;

const PREFIX = '/api/v1/contacts';
const ROUTES: Record<string, string> = {
  [`${PREFIX}/create`]: 'POST',
  [`${PREFIX}/update`]: 'PUT',
  [`${PREFIX}/find`]: 'GET',
  [`${PREFIX}/delete`]: 'POST',
};
const MAX_JSON_LENGTH = 500;
const RESERVED = new Set(['id', 'listId', 'softDeleteAt', 'teamId', 'updatedAt']);
const BODY_KEYS = new Set(['email', 'userId', 'mailingLists']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Built-in fields that stay on a contact as `null` when cleared. */
const NULLABLE = new Set(['firstName', 'lastName']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The contacts behind `/api/v1/contacts/{create,update,find,delete}` of the Loops-compatible server, answering with
 * the bodies of Loops' OpenAPI spec 1.21.6 (`ContactSuccessResponse`, `ContactFailureResponse`,
 * `ContactDeleteResponse`, `Contact`). Every write is kept in `writes`, so that a test can tell which arrived.
 */
export class LoopsContacts {
  /** The writes the server applied (create, update, delete), in order. */
  readonly writes: { operation: string; body: Record<string, unknown> }[] = [];
  private readonly contacts = new Map<string, StoredContact>();
  private created = 0;

  /** Whether `path` is one of the contact routes. */
  handles(path: string): boolean {
    return path in ROUTES;
  }

  /** The contact with this email or user id (either matches). */
  find(identity: { email?: string; userId?: string }): StoredContact | undefined {
    for (const contact of this.contacts.values()) {
      if (identity.email !== undefined && contact.email === identity.email) return contact;
      if (identity.userId !== undefined && contact.userId === identity.userId) return contact;
    }
    return undefined;
  }

  get all(): StoredContact[] {
    return [...this.contacts.values()];
  }

  clear(): void {
    this.contacts.clear();
    this.writes.length = 0;
    this.created = 0;
  }

  /** The answer to a contact request that passed the key check and the rate limit. */
  answer(record: RecordedRequest, query: URLSearchParams): LoopsAccountAnswer {
    const allowed = ROUTES[record.path];
    if (record.method !== allowed) {
      return {
        status: 405,
        body: { success: false, message: `Method ${record.method} not allowed` },
        headers: { allow: allowed },
      };
    }
    const operation = record.path.slice(PREFIX.length + 1);
    if (operation === 'find') return this.answerFind(query);
    const body = record.body;
    if (!isPlainObject(body)) return failure(400, 'Request body must be a JSON object.');
    switch (operation) {
      case 'create':
        return this.answerCreate(body);
      case 'update':
        return this.answerUpdate(body);
      default:
        return this.answerDelete(body);
    }
  }

  private answerCreate(body: Record<string, unknown>): LoopsAccountAnswer {
    if (typeof body.email !== 'string') return failure(400, 'Email is required.');
    const invalid = findInvalidContactBody(body);
    if (invalid) return failure(400, invalid);
    if (this.find({ email: body.email, userId: body.userId as string | undefined })) {
      return failure(409, 'Email or userId already exists.');
    }
    return this.saved('create', body, this.write(this.newContact(), body));
  }

  private answerUpdate(body: Record<string, unknown>): LoopsAccountAnswer {
    if (body.email === undefined && body.userId === undefined) return failure(400, 'Email or userId is required.');
    const invalid = findInvalidContactBody(body);
    if (invalid) return failure(400, invalid);
    const identity = { email: body.email as string | undefined, userId: body.userId as string | undefined };
    return this.saved('update', body, this.write(this.find(identity) ?? this.newContact(), body));
  }

  private answerDelete(body: Record<string, unknown>): LoopsAccountAnswer {
    const identity = readIdentity(body.email, body.userId);
    if (typeof identity === 'string') return failure(400, identity);
    const contact = this.find(identity);
    if (!contact) return failure(404, 'Contact not found.');
    this.contacts.delete(contact.id);
    this.writes.push({ operation: 'delete', body });
    return { status: 200, body: { success: true, message: 'Contact deleted.' } };
  }

  private answerFind(query: URLSearchParams): LoopsAccountAnswer {
    const identity = readIdentity(query.get('email') ?? undefined, query.get('userId') ?? undefined);
    if (typeof identity === 'string') return failure(400, identity);
    if (identity.email !== undefined && !EMAIL.test(identity.email)) return failure(400, 'Invalid email address.');
    const contact = this.find(identity);
    return { status: 200, body: contact ? [contact] : [] };
  }

  private newContact(): StoredContact {
    const id = `c${createHash('sha256').update(`contact:${++this.created}`).digest('hex').slice(0, 24)}`;
    const contact: StoredContact = {
      id,
      email: '',
      firstName: null,
      lastName: null,
      source: 'API',
      subscribed: true,
      userGroup: '',
      userId: null,
      mailingLists: {},
      optInStatus: null,
    };
    this.contacts.set(id, contact);
    return contact;
  }

  private write(contact: StoredContact, body: Record<string, unknown>): StoredContact {
    if (typeof body.email === 'string') contact.email = body.email;
    if (typeof body.userId === 'string') contact.userId = body.userId;
    for (const [key, value] of Object.entries(body)) {
      if (BODY_KEYS.has(key)) continue;
      if (value === null && !NULLABLE.has(key)) delete contact[key];
      else contact[key] = value;
    }
    for (const [list, subscribed] of Object.entries((body.mailingLists ?? {}) as Record<string, boolean>)) {
      if (subscribed) contact.mailingLists[list] = true;
      else delete contact.mailingLists[list];
    }
    return contact;
  }

  private saved(operation: string, body: Record<string, unknown>, contact: StoredContact): LoopsAccountAnswer {
    this.writes.push({ operation, body });
    return { status: 200, body: { success: true, id: contact.id } };
  }
}

function failure(status: number, message: string): LoopsAccountAnswer {
  return { status, body: { success: false, message } };
}

/** Exactly one of `email` and `userId`, as find and delete take them; or what is wrong. */
function readIdentity(email: unknown, userId: unknown): { email?: string; userId?: string } | string {
  if (email !== undefined && userId !== undefined) return 'Only one of email or userId is permitted.';
  if (typeof email === 'string' && email !== '') return { email };
  if (typeof userId === 'string' && userId !== '') return { userId };
  return 'You must provide an email or userId value.';
}

/** A create or update body's fields, properties and lists, by Loops' rules; what is wrong, or undefined. */
function findInvalidContactBody(body: Record<string, unknown>): string | undefined {
  if (body.email !== undefined && (typeof body.email !== 'string' || !EMAIL.test(body.email))) {
    return 'Invalid email address.';
  }
  if (body.userId !== undefined && (typeof body.userId !== 'string' || body.userId === '')) {
    return 'userId must be a non-empty string.';
  }
  if (body.mailingLists !== undefined) {
    if (!isPlainObject(body.mailingLists)) return 'mailingLists must be an object.';
    if (Object.values(body.mailingLists).some((value) => typeof value !== 'boolean')) {
      return 'mailingLists values must be true or false.';
    }
  }
  for (const [key, value] of Object.entries(body)) {
    if (JSON.stringify(key).length > MAX_JSON_LENGTH) return 'A key is longer than 500 characters.';
    if (BODY_KEYS.has(key)) continue;
    if (RESERVED.has(key)) return `${key} is a reserved contact property name.`;
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      return `${key.slice(0, 40)} must be a string, number, boolean or null.`;
    }
    if (typeof value === 'string' && JSON.stringify(value).length > MAX_JSON_LENGTH) {
      return `${key.slice(0, 40)} is longer than 500 characters.`;
    }
  }
  return undefined;
}
