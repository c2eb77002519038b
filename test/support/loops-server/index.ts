export { LoopsCompatibleServer } from './loops-compatible-server';
export { LoopsWebhookSender } from './loops-webhook-sender';
export type { SendWebhookOptions, SentWebhook, WebhookAttempt } from './loops-webhook-sender';
export type {
  AcceptedEvent,
  LoopsServerAnswer,
  LoopsServerOptions,
  LoopsServerResponder,
  RecordedRequest,
} from './loops-compatible-server';
