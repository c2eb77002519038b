import { type EarlierAttempts, judgeAnswer } from '../delivery/attempt-result';
import type { LoopsCall, LoopsCallVerdict } from '../delivery/loops-call';
import { LoopsApiError, type LoopsApiErrorDetails, readLoopsMessage } from '../errors/loops-api.error';
import { LoopsContactExistsError } from '../errors/loops-contact-exists.error';
import { LoopsContactNotFoundError } from '../errors/loops-contact-not-found.error';
import { LoopsContactError } from '../errors/loops-contact.error';
import type { LoopsTransportResponse } from '../transport/loops-transport';
import type { LoopsContact, LoopsCreateContactInput, LoopsUpdateContactInput } from './contact-types';

/**
 * The requests of the contact calls, with the bodies the official SDK sends for the same input (its keys in its
 * order), and how Loops' answers to each are read.
 */

/** `POST /v1/contacts/create`: the SDK's `{ ...properties, mailingLists, email }`, `userId` among the properties. */
export function createContactCall(input: LoopsCreateContactInput): LoopsCall<string> {
  const body = { ...input.properties, userId: input.userId, mailingLists: input.mailingLists, email: input.email };
  return {
    method: 'POST',
    path: '/contacts/create',
    body: JSON.stringify(body),
    judge: (response, details, earlier) => {
      // The contact exists. After an attempt whose answer was lost, this call may have created it: the error says so.
      if (response.status === 409) {
        return { outcome: 'refused', error: new LoopsContactExistsError(details, earlier.unknown) };
      }
      return judgeContactAnswer('create', response, details, earlier, readContactId);
    },
    dryRun: { description: describeContactBody(body), value: '' },
  };
}

/** `PUT /v1/contacts/update`: the SDK's `{ ...properties, mailingLists, email, userId }`; creates a missing contact. */
export function updateContactCall(input: LoopsUpdateContactInput): LoopsCall<string> {
  const body: Record<string, unknown> = { ...input.properties, mailingLists: input.mailingLists };
  if (input.email !== undefined) body.email = input.email;
  if (input.userId !== undefined) body.userId = input.userId;
  return {
    method: 'PUT',
    path: '/contacts/update',
    body: JSON.stringify(body),
    judge: (response, details, earlier) => judgeContactAnswer('update', response, details, earlier, readContactId),
    dryRun: { description: describeContactBody(body), value: '' },
  };
}

/** `GET /v1/contacts/find?email=` (or `userId=`): the contact, or `undefined` when Loops has none. */
export function findContactCall(identity: { email?: string; userId?: string }): LoopsCall<LoopsContact | undefined> {
  const query = new URLSearchParams(
    identity.email !== undefined ? { email: identity.email } : { userId: identity.userId as string },
  );
  return {
    method: 'GET',
    path: `/contacts/find?${query}`,
    judge: (response, details, earlier) => judgeContactAnswer('find', response, details, earlier, readFoundContact),
    dryRun: { description: `${describeContactBody(identity)}: not looked up; resolves as not found`, value: undefined },
  };
}

/** `POST /v1/contacts/delete` with `{ email }` or `{ userId }`. */
export function deleteContactCall(identity: { email?: string; userId?: string }): LoopsCall<true> {
  const body = identity.email !== undefined ? { email: identity.email } : { userId: identity.userId };
  return {
    method: 'POST',
    path: '/contacts/delete',
    body: JSON.stringify(body),
    judge: (response, details, earlier) => {
      if (response.status === 404) {
        // Gone: if an earlier attempt's answer was lost, that attempt is what deleted it.
        if (earlier.unknown) return { outcome: 'accepted', value: true };
        return { outcome: 'refused', error: new LoopsContactNotFoundError(details) };
      }
      return judgeContactAnswer('delete', response, details, earlier, () => true);
    },
    dryRun: { description: describeContactBody(body), value: true },
  };
}

/**
 * A 2xx is read by `read` (which refuses an answer without what the call returns); a 400 becomes a
 * `LoopsContactError` naming the call; the rest (401/403, 408, 429, 5xx) is judged as for any request.
 */
function judgeContactAnswer<T>(
  operation: string,
  response: LoopsTransportResponse,
  details: LoopsApiErrorDetails,
  earlier: EarlierAttempts,
  read: (body: unknown) => T | LoopsApiError,
): LoopsCallVerdict<T> {
  if (response.status >= 200 && response.status < 300) {
    const value = read(details.body);
    if (value instanceof LoopsApiError) return { outcome: 'refused', error: value };
    return { outcome: 'accepted', value };
  }
  const refusal = () =>
    new LoopsContactError(
      details,
      operation,
      `Loops refused the contact ${operation} (${response.status}): ${readLoopsMessage(details.body) ?? 'bad request'}`,
    );
  // Contact calls carry no idempotency key: a 409 here is no duplicate, and judgeAnswer would take it for one.
  if (response.status === 409) return { outcome: 'refused', error: refusal() };
  const judged = judgeAnswer(response, details, { idempotencyKey: '', keyChosenByCaller: false, earlier });
  if (judged.outcome === 'refused' && judged.error.constructor === LoopsApiError) {
    return { outcome: 'refused', error: refusal() };
  }
  return judged as LoopsCallVerdict<T>;
}

function readContactId(body: unknown): string | LoopsApiError {
  const id = (body as { id?: unknown } | undefined)?.id;
  if (typeof id === 'string' && id !== '') return id;
  return new LoopsApiError({ status: 200, body }, "Loops answered 200 without the contact's id");
}

function readFoundContact(body: unknown): LoopsContact | undefined | LoopsApiError {
  if (!Array.isArray(body)) return new LoopsApiError({ status: 200, body }, 'Loops answered 200 without a list');
  const [contact] = body as unknown[];
  if (contact === undefined) return undefined;
  if (typeof contact !== 'object' || contact === null || typeof (contact as { id?: unknown }).id !== 'string') {
    return new LoopsApiError({ status: 200, body }, 'Loops answered 200 with a contact that has no id');
  }
  return contact as LoopsContact;
}

/** What a dry-run line says of a contact body: the contact, and the names and types of what would be written. */
function describeContactBody(body: Record<string, unknown>): string {
  return Object.entries(body)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      if (key === 'email' || key === 'userId') return `${key} ${String(value)}`;
      if (key === 'mailingLists') return `mailingLists { ${Object.keys(value as object).join(', ')} }`;
      return `${key}: ${value === null ? 'null' : value instanceof Date ? 'date' : typeof value}`;
    })
    .join(', ');
}
