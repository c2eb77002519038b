/** What a handler learns about the message besides its payload. */
export interface LoopsWebhookContext {
  /** `webhook-id`: the same on every redelivery of one message. */
  webhookId: string;
  /** `webhook-timestamp`: when Loops sent this attempt. */
  sentAt: Date;
}
