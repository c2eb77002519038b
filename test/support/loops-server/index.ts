export { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from './loops-compatible-server';
export { LoopsWebhookSender } from './loops-webhook-sender';
export type { SendWebhookOptions, SentWebhook, WebhookAttempt } from './loops-webhook-sender';
export type {
  LoopsIdempotencyRule,
  AcceptedEvent,
  LoopsServerAnswer,
  LoopsServerOptions,
  LoopsServerResponder,
  RecordedRequest,
} from './loops-compatible-server';
export { LoopsAccount, seededId } from './loops-account';
export type {
  LoopsAccountAnswer,
  LoopsAccountPropertyType,
  LoopsAccountSeed,
  SeededContactProperty,
  SeededEventPattern,
  SeededMailingList,
} from './loops-account';
export { LoopsContacts, type StoredContact } from './loops-contacts';
export { LoopsTransactionalEmails, type SeededTransactionalEmail } from './loops-transactional-emails';
