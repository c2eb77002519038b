// The payloads Loops posts to a webhook endpoint, written from the `webhooks:` section of Loops' OpenAPI spec
// (1.21.6). test/webhooks/webhook-events-spec.spec.ts checks the names and required fields against the spec.

/** Who the event is about. `userId` is null when the contact has none. */
export interface LoopsWebhookContactIdentity {
  id: string;
  email: string;
  userId: string | null;
}

/** The email an email event is about. */
export interface LoopsWebhookEmail {
  /** The id of the email. */
  id: string;
  /** The id of the sent version of the campaign, workflow or transactional email. */
  emailMessageId: string;
  subject: string;
}

export interface LoopsWebhookMailingList {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
}

/** The full contact of `contact.created`, custom properties included. */
export interface LoopsWebhookContact {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  source: string;
  subscribed: boolean;
  userGroup: string;
  userId: string | null;
  notes?: string | null;
  /** Mailing list id -> subscribed. */
  mailingLists: Record<string, boolean>;
  /** Double opt-in status. */
  optInStatus: 'accepted' | 'pending' | 'rejected' | null;
  /** Custom contact properties. */
  [property: string]: unknown;
}

/** Fields every payload has. */
export interface LoopsWebhookBase<N extends string> {
  eventName: N;
  /** Unix time in seconds. */
  eventTime: number;
  webhookSchemaVersion: '1.0.0';
}

interface LoopsWebhookContactBase<N extends string> extends LoopsWebhookBase<N> {
  contactIdentity: LoopsWebhookContactIdentity;
}

/** Email activity on any kind of email. `campaignId`, `loopId` or `transactionalId` goes with `sourceType`. */
interface LoopsWebhookEmailActivity<N extends string> extends LoopsWebhookContactBase<N> {
  email: LoopsWebhookEmail;
  /** Workflow emails say `loop`. */
  sourceType: 'campaign' | 'loop' | 'transactional';
  campaignId?: string;
  loopId?: string;
  transactionalId?: string;
}

/** Email activity that Loops tracks for campaigns and workflows only, never for transactional emails. */
interface LoopsWebhookMarketingEmailActivity<N extends string> extends LoopsWebhookContactBase<N> {
  email: LoopsWebhookEmail;
  sourceType: 'campaign' | 'loop';
  campaignId?: string;
  loopId?: string;
}

/** Sent when a contact is unsubscribed from the audience, and when it is deleted. */
export type LoopsContactUnsubscribedWebhook = LoopsWebhookContactBase<'contact.unsubscribed'>;

/** Sent for a new contact; with double opt-in, once it is confirmed. */
export interface LoopsContactCreatedWebhook extends LoopsWebhookContactBase<'contact.created'> {
  contact: LoopsWebhookContact;
}

export type LoopsContactDeletedWebhook = LoopsWebhookContactBase<'contact.deleted'>;

export interface LoopsContactMailingListSubscribedWebhook extends LoopsWebhookContactBase<'contact.mailingList.subscribed'> {
  mailingList: LoopsWebhookMailingList;
}

export interface LoopsContactMailingListUnsubscribedWebhook extends LoopsWebhookContactBase<'contact.mailingList.unsubscribed'> {
  mailingList: LoopsWebhookMailingList;
}

export interface LoopsTransactionalEmailSentWebhook extends LoopsWebhookContactBase<'transactional.email.sent'> {
  transactionalId: string;
  transactionalName: string;
  email: LoopsWebhookEmail;
}

export interface LoopsCampaignEmailSentWebhook extends LoopsWebhookContactBase<'campaign.email.sent'> {
  campaignId: string;
  campaignName: string;
  email: LoopsWebhookEmail;
  /** The mailing lists the campaign was sent to; empty when none. */
  mailingLists: LoopsWebhookMailingList[];
}

/** A workflow email sent (workflows were called loops, and the event kept the name). */
export interface LoopsLoopEmailSentWebhook extends LoopsWebhookContactBase<'loop.email.sent'> {
  loopId: string;
  loopName: string;
  email: LoopsWebhookEmail;
  mailingLists: LoopsWebhookMailingList[];
}

export type LoopsEmailDeliveredWebhook = LoopsWebhookEmailActivity<'email.delivered'>;
/** A temporary failure; Loops retries and the email may still arrive. */
export type LoopsEmailSoftBouncedWebhook = LoopsWebhookEmailActivity<'email.softBounced'>;
/** A permanent failure. Loops also unsubscribes the contact, so `contact.unsubscribed` follows. */
export type LoopsEmailHardBouncedWebhook = LoopsWebhookEmailActivity<'email.hardBounced'>;
export type LoopsEmailSpamReportedWebhook = LoopsWebhookEmailActivity<'email.spamReported'>;
export type LoopsEmailOpenedWebhook = LoopsWebhookMarketingEmailActivity<'email.opened'>;
export type LoopsEmailClickedWebhook = LoopsWebhookMarketingEmailActivity<'email.clicked'>;
/** The recipient used the email's unsubscribe link; `contact.unsubscribed` or a mailing-list event follows. */
export type LoopsEmailUnsubscribedWebhook = LoopsWebhookMarketingEmailActivity<'email.unsubscribed'>;
export type LoopsEmailResubscribedWebhook = LoopsWebhookMarketingEmailActivity<'email.resubscribed'>;

/** What the "Send test event" button in Loops' webhook settings sends. */
export interface LoopsTestingTestEventWebhook extends LoopsWebhookBase<'testing.testEvent'> {
  message: 'test';
}

/** Every payload this version knows, discriminated on `eventName`. */
export type LoopsWebhookPayload =
  | LoopsContactUnsubscribedWebhook
  | LoopsContactCreatedWebhook
  | LoopsContactDeletedWebhook
  | LoopsContactMailingListSubscribedWebhook
  | LoopsContactMailingListUnsubscribedWebhook
  | LoopsTransactionalEmailSentWebhook
  | LoopsCampaignEmailSentWebhook
  | LoopsLoopEmailSentWebhook
  | LoopsEmailDeliveredWebhook
  | LoopsEmailSoftBouncedWebhook
  | LoopsEmailHardBouncedWebhook
  | LoopsEmailClickedWebhook
  | LoopsEmailUnsubscribedWebhook
  | LoopsEmailResubscribedWebhook
  | LoopsEmailOpenedWebhook
  | LoopsEmailSpamReportedWebhook
  | LoopsTestingTestEventWebhook;

export type LoopsWebhookEventName = LoopsWebhookPayload['eventName'];

/** The event types this version knows, in the spec's order. Loops adds types over time. */
export const LOOPS_WEBHOOK_EVENT_NAMES = [
  'contact.unsubscribed',
  'contact.created',
  'contact.deleted',
  'contact.mailingList.subscribed',
  'contact.mailingList.unsubscribed',
  'transactional.email.sent',
  'campaign.email.sent',
  'loop.email.sent',
  'email.delivered',
  'email.softBounced',
  'email.hardBounced',
  'email.clicked',
  'email.unsubscribed',
  'email.resubscribed',
  'email.opened',
  'email.spamReported',
  'testing.testEvent',
] as const satisfies readonly LoopsWebhookEventName[];

/** A payload of a type this version doesn't know yet: only `eventName` is checked before handlers get it. */
export interface LoopsUnknownWebhookPayload {
  eventName: string;
  eventTime?: number;
  webhookSchemaVersion?: string;
  [field: string]: unknown;
}

/** What `@OnLoopsWebhook()` subscribes to: a known event type, `'*'` for every event, or a type Loops added since. */
export type LoopsWebhookTopic = LoopsWebhookEventName | '*' | (string & {});

/**
 * The payload a handler of `topic` receives: the typed payload of a known type, every payload for `'*'`
 * (narrow it with `isLoopsWebhookEvent`), and an unknown payload for a type this version doesn't know.
 */
export type LoopsWebhookEvent<T extends LoopsWebhookTopic = LoopsWebhookEventName> = T extends LoopsWebhookEventName
  ? Extract<LoopsWebhookPayload, { eventName: T }>
  : T extends '*'
    ? LoopsWebhookPayload | LoopsUnknownWebhookPayload
    : LoopsUnknownWebhookPayload;

const KNOWN_NAMES: ReadonlySet<string> = new Set(LOOPS_WEBHOOK_EVENT_NAMES);

/** Whether `eventName` is one of the types this version knows. */
export function isKnownLoopsWebhookEventName(eventName: string): eventName is LoopsWebhookEventName {
  return KNOWN_NAMES.has(eventName);
}

/** Narrows a payload a `'*'` handler got to the typed payload of `eventName`. */
export function isLoopsWebhookEvent<N extends LoopsWebhookEventName>(
  event: { eventName: string },
  eventName: N,
): event is LoopsWebhookEvent<N> {
  return event.eventName === eventName;
}
