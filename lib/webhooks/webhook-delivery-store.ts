/**
 * `claimed`: this delivery runs the handler. `done`: the handler succeeded for this message before.
 * `busy`: another delivery of the same message is running it right now.
 */
export type WebhookClaim = 'claimed' | 'done' | 'busy';

/**
 * Remembers, per message (`webhook-id`) and handler, which handlers succeeded, so a redelivery runs only those
 * that did not; and which are running, so two deliveries of one message never run a handler at once.
 */
export interface WebhookDeliveryStore {
  /** Claims the pair for a run, for `claimSeconds`, with `token` naming this run. */
  claim(webhookId: string, handlerKey: string, token: string): Promise<WebhookClaim>;
  /** The run succeeded: redeliveries skip the handler for `ttlSeconds`, even if its claim had lapsed meanwhile. */
  complete(webhookId: string, handlerKey: string): Promise<void>;
  /** The run failed: the next delivery runs the handler again. A claim taken over by another run is left alone. */
  release(webhookId: string, handlerKey: string, token: string): Promise<void>;
  close(): Promise<void>;
}
