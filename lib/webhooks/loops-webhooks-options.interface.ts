/** How redeliveries of one webhook message (same `webhook-id`) are recognised. */
export interface LoopsWebhookDeduplicationOptions {
  /**
   * How long a handler's success for a `webhook-id` is remembered. Loops doesn't document its retry schedule;
   * the default, 3 days, covers the usual Standard Webhooks schedule (about 28 hours) with room to spare.
   */
  ttlSeconds?: number;
  /**
   * In memory only: the most (message, handler) pairs remembered; the oldest successes are forgotten first, claims of
   * handlers still running are kept. Default 50 000.
   */
  maxEntries?: number;
  /**
   * How long a handler's claim on a message lasts while it runs: a redelivery arriving meanwhile gets 409. It
   * is the bound for a handler that never settles, or whose process died (Redis), so it also lapses under a handler
   * that is merely slow: keep it above your slowest handler's time. Default 120 seconds.
   */
  claimSeconds?: number;
}

/**
 * Receiving Loops webhooks. With this set the module mounts a POST route that verifies each request
 * (Standard Webhooks signatures over the raw body) and hands the event to the `@OnLoopsWebhook()` handlers.
 */
export interface LoopsWebhooksOptions {
  /**
   * The signing secret from Loops' Settings -> Webhooks (`whsec_...`; the prefix is optional). Several
   * secrets are all accepted, which lets you switch to a new one without refusing a message in between.
   */
  secret: string | readonly string[];
  /** Where the route is mounted, from the root (a global prefix does not apply). Default `/loops/webhooks`. */
  path?: string;
  /** How far `webhook-timestamp` may be from this server's clock, either way. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** Larger bodies are refused with 413 before they are verified. Default 262 144 (256 KiB). */
  maxBodyBytes?: number;
  /** In memory by default; in Redis when `delivery` is BullMQ, shared by every instance. */
  deduplication?: LoopsWebhookDeduplicationOptions;
}
