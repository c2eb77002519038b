import type {
  LoopsWebhookContactIdentity,
  LoopsWebhookEmail,
  LoopsWebhookEvent,
  LoopsWebhookEventName,
  LoopsWebhookMailingList,
} from '../webhooks/loops-webhook-events';

/** Every field optional, at any depth; arrays are replaced whole. */
export type LoopsWebhookPayloadOverrides<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object | null
      ? LoopsWebhookPayloadOverrides<NonNullable<T[K]>> | Extract<T[K], null>
      : T[K];
};

const CONTACT: LoopsWebhookContactIdentity = {
  id: 'cm4ittmhq0011ow9h6fb460yw',
  email: 'ada@example.com',
  userId: null,
};
const EMAIL: LoopsWebhookEmail = {
  id: 'cm4t1sseg004tje7982991nan',
  emailMessageId: 'cm4ittv1v001oow9hruou8na8',
  subject: 'Welcome aboard',
};
const MAILING_LIST: LoopsWebhookMailingList = {
  id: 'cm4ittp2k000l12j3lgrzvlxt',
  name: 'Product updates',
  description: null,
  isPublic: true,
};
const CAMPAIGN = { sourceType: 'campaign', campaignId: 'cm4t1suns001uw6atri87v54s' } as const;

type Samples = {
  [N in LoopsWebhookEventName]: Omit<LoopsWebhookEvent<N>, 'eventName' | 'eventTime' | 'webhookSchemaVersion'>;
};

// Values in the shape of the examples of Loops' OpenAPI spec.
const SAMPLES: Samples = {
  'contact.unsubscribed': { contactIdentity: CONTACT },
  'contact.created': {
    contactIdentity: CONTACT,
    contact: {
      id: CONTACT.id,
      email: CONTACT.email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      source: 'API',
      subscribed: true,
      userGroup: '',
      userId: null,
      mailingLists: { [MAILING_LIST.id]: true },
      optInStatus: 'accepted',
    },
  },
  'contact.deleted': { contactIdentity: CONTACT },
  'contact.mailingList.subscribed': { contactIdentity: CONTACT, mailingList: MAILING_LIST },
  'contact.mailingList.unsubscribed': { contactIdentity: CONTACT, mailingList: MAILING_LIST },
  'transactional.email.sent': {
    contactIdentity: CONTACT,
    transactionalId: 'cm4t1suns001uw6atri87v54s',
    transactionalName: 'Password reset',
    email: EMAIL,
  },
  'campaign.email.sent': {
    contactIdentity: CONTACT,
    campaignId: CAMPAIGN.campaignId,
    campaignName: 'November newsletter',
    email: EMAIL,
    mailingLists: [MAILING_LIST],
  },
  'loop.email.sent': {
    contactIdentity: CONTACT,
    loopId: 'cm4t1snfj0052icemfshgqfcw',
    loopName: 'Onboarding',
    email: EMAIL,
    mailingLists: [],
  },
  'email.delivered': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.softBounced': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.hardBounced': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.clicked': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.unsubscribed': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.resubscribed': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.opened': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'email.spamReported': { contactIdentity: CONTACT, email: EMAIL, ...CAMPAIGN },
  'testing.testEvent': { message: 'test' },
};

/**
 * A complete, typed payload of `eventName` as Loops would send it, with `overrides` merged in at any depth
 * (`{ contactIdentity: { email } }` changes just the email). `eventTime` is now unless overridden.
 */
export function buildLoopsWebhookPayload<N extends LoopsWebhookEventName>(
  eventName: N,
  overrides: LoopsWebhookPayloadOverrides<LoopsWebhookEvent<N>> = {},
): LoopsWebhookEvent<N> {
  const sample = SAMPLES[eventName];
  if (!sample) throw new TypeError(`"${String(eventName)}" is not a Loops webhook event type`);
  const base = { eventName, eventTime: Math.floor(Date.now() / 1000), webhookSchemaVersion: '1.0.0', ...sample };
  return merge(structuredClone(base), overrides) as LoopsWebhookEvent<N>;
}

function merge(target: Record<string, unknown>, overrides: object): Record<string, unknown> {
  for (const [key, value] of Object.entries(overrides)) {
    // Own keys only, written as own keys: an override parsed from JSON may have a `__proto__` key (to test the
    // receiver's refusal of it), which plain assignment would turn into a write to Object.prototype.
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    const merged =
      isPlainObject(value) && isPlainObject(current) ? merge(current, value) : structuredClone(value as unknown);
    Object.defineProperty(target, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return target;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
