import { randomUUID } from 'node:crypto';
import type { LoopsContact } from '../contacts/contact-types';

/** An answer of the in-memory Loops to a contact call. */
export interface InMemoryAnswer {
  status: number;
  body: unknown;
}

const IDENTITY_KEYS = new Set(['email', 'userId', 'mailingLists']);
/** Built-in fields that stay on a contact as `null` when cleared, as Loops returns them. */
const BUILT_IN_NULLABLE = new Set(['firstName', 'lastName']);

/** An event's keys that are not about its contact. */
const EVENT_ONLY_KEYS = new Set(['eventName', 'eventProperties']);

/**
 * The contacts of the in-memory Loops that `LoopsTestingModule` talks to: what contact calls, events and
 * transactional emails with `addToAudience` created, changed and deleted, answered as Loops answers (409 for a
 * contact that exists, 404 for one that does not, 400 when an email and a userId belong to two contacts).
 */
export class InMemoryAudience {
  private readonly contacts = new Map<string, LoopsContact>();

  /** Every contact, oldest first. */
  get all(): LoopsContact[] {
    return [...this.contacts.values()].map((contact) => structuredClone(contact));
  }

  /** The contact with this email or user id (either matches), as Loops would return it. */
  find(identity: { email?: string; userId?: string }): LoopsContact | undefined {
    const found = this.lookup(identity.email, identity.userId);
    return found && structuredClone(found);
  }

  clear(): void {
    this.contacts.clear();
  }

  /** `POST /contacts/create`. */
  create(body: Record<string, unknown>): InMemoryAnswer {
    if (this.lookup(body.email, body.userId)) return failure(409, 'Email or userId already exists.');
    return this.saved(this.write(this.newContact(), body));
  }

  /** `PUT /contacts/update`: the contact matching either identity, created when there is none. */
  update(body: Record<string, unknown>): InMemoryAnswer {
    const match = this.matching(body);
    return 'refusal' in match ? match.refusal : this.saved(this.write(match.contact, body));
  }

  /**
   * What `POST /events/send` does to the audience: the contact matching the email or the userId gets the event's
   * contact properties and list changes, and one is created for an email no contact has. A userId alone that no
   * contact has changes nothing here (the app's real audience may have it). A refusal, or `undefined`.
   */
  applyEvent(body: Record<string, unknown>): InMemoryAnswer | undefined {
    const contactBody = Object.fromEntries(Object.entries(body).filter(([key]) => !EVENT_ONLY_KEYS.has(key)));
    if (contactBody.email === undefined && !this.lookup(undefined, contactBody.userId)) return undefined;
    const match = this.matching(contactBody);
    if ('refusal' in match) return match.refusal;
    this.write(match.contact, contactBody);
    return undefined;
  }

  /** `addToAudience: true` on a transactional email: a contact for the recipient, unless one exists. */
  addRecipient(email: string): void {
    if (!this.lookup(email, undefined)) this.write(this.newContact(), { email });
  }

  /** `POST /contacts/delete`. */
  delete(body: Record<string, unknown>): InMemoryAnswer {
    const contact = this.lookup(body.email, body.userId);
    if (!contact) return failure(404, 'Contact not found.');
    this.contacts.delete(contact.id);
    return { status: 200, body: { success: true, message: 'Contact deleted.' } };
  }

  /** `GET /contacts/find?email=` (or `userId=`). */
  findAnswer(query: Record<string, string>): InMemoryAnswer {
    const found = this.find(query);
    return { status: 200, body: found ? [found] : [] };
  }

  /** The contact an email and/or userId name (a new one when none does), or a 400 when they name two. */
  private matching(identity: Record<string, unknown>): { contact: LoopsContact } | { refusal: InMemoryAnswer } {
    const byEmail = identity.email === undefined ? undefined : this.lookup(identity.email, undefined);
    const byUserId = identity.userId === undefined ? undefined : this.lookup(undefined, identity.userId);
    if (byEmail && byUserId && byEmail !== byUserId) {
      return { refusal: failure(400, 'Multiple contacts found with this email and userId.') };
    }
    return { contact: byEmail ?? byUserId ?? this.newContact() };
  }

  private lookup(email: unknown, userId: unknown): LoopsContact | undefined {
    for (const contact of this.contacts.values()) {
      if ((email !== undefined && contact.email === email) || (userId !== undefined && contact.userId === userId)) {
        return contact;
      }
    }
    return undefined;
  }

  private newContact(): LoopsContact {
    const contact: LoopsContact = {
      id: `c${randomUUID().replace(/-/g, '').slice(0, 24)}`,
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
    this.contacts.set(contact.id, contact);
    return contact;
  }

  /** Applies a create or update body: identities, properties (`null` clears one) and list changes. */
  private write(contact: LoopsContact, body: Record<string, unknown>): LoopsContact {
    if (typeof body.email === 'string') contact.email = body.email;
    if (typeof body.userId === 'string') contact.userId = body.userId;
    for (const [key, value] of Object.entries(body)) {
      if (IDENTITY_KEYS.has(key)) continue;
      if (value === null && !BUILT_IN_NULLABLE.has(key)) delete contact[key];
      else contact[key] = value;
    }
    const lists = (body.mailingLists ?? {}) as Record<string, boolean>;
    for (const [id, subscribed] of Object.entries(lists)) {
      if (subscribed) contact.mailingLists[id] = true;
      else delete contact.mailingLists[id];
    }
    return contact;
  }

  private saved(contact: LoopsContact): InMemoryAnswer {
    return { status: 200, body: { success: true, id: contact.id } };
  }
}

function failure(status: number, message: string): InMemoryAnswer {
  return { status, body: { success: false, message } };
}
