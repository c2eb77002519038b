import type { LoopsContactPropertiesOf, LoopsMailingListsOf } from '../catalog/catalog-event-types';
import type { IfLoopsCatalog, RegisteredLoopsCatalog, ValidLoopsCatalog } from '../catalog/loops-register';
import type { LoopsPropertyValue } from '../dto/send-event.dto';

/**
 * Contact properties to write: the catalog's contact properties and Loops' built-in ones where the app registered a
 * catalog that declares them, any otherwise. `null` clears a property.
 */
export type LoopsContactProperties = IfLoopsCatalog<
  LoopsContactPropertiesOf<ValidLoopsCatalog<RegisteredLoopsCatalog>>,
  Record<string, LoopsPropertyValue | null>
>;

/** Mailing-list id to `true` (subscribe) or `false` (unsubscribe); the catalog's lists where it declares them. */
export type LoopsContactMailingLists = IfLoopsCatalog<
  LoopsMailingListsOf<ValidLoopsCatalog<RegisteredLoopsCatalog>>,
  Record<string, boolean>
>;

/** `createContact`: the official SDK's input, with `userId` beside `email` rather than among the properties. */
export interface LoopsCreateContactInput {
  email: string;
  userId?: string;
  properties?: LoopsContactProperties;
  mailingLists?: LoopsContactMailingLists;
}

/** `updateContact`: the contact is found by `email` or `userId` (at least one), and created if there is none. */
export interface LoopsUpdateContactInput {
  email?: string;
  userId?: string;
  properties?: LoopsContactProperties;
  mailingLists?: LoopsContactMailingLists;
}

/** One contact, by exactly one of its email and its user id. */
export type LoopsContactIdentity = { email: string; userId?: never } | { userId: string; email?: never };

/** `Contact` of Loops' API: the built-in fields, and the custom properties beside them. */
export type LoopsContact = {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  source: string;
  subscribed: boolean;
  userGroup: string;
  userId: string | null;
  /** The lists the contact is subscribed to: id to `true`. */
  mailingLists: Record<string, true>;
  /** Double opt-in status; `null` unless the contact came through a form with double opt-in. */
  optInStatus: 'accepted' | 'pending' | 'rejected' | null;
} & Record<string, unknown>;

/** A contact created or updated: its id in Loops, or none in dry run, where nothing was sent. */
export type LoopsContactSaved =
  { id: string; attempts: number; dryRun: false } | { id: undefined; attempts: 0; dryRun: true };

/** A contact deleted (or, in dry run, not: nothing was sent). */
export interface LoopsContactDeleted {
  /** Requests made; 0 in dry run. */
  attempts: number;
  dryRun: boolean;
}

/** Options of every contact call. */
export interface LoopsContactCallOptions {
  /** Cancels the call, its retries and waits included; it then rejects with `LoopsNetworkError`. */
  signal?: AbortSignal;
}
