import type { WebhookClaim, WebhookDeliveryStore } from './webhook-delivery-store';

interface Entry {
  /** A run's token while it runs; `done` once it succeeded. */
  state: string;
  expiresAt: number;
}

const DONE = 'done';

/**
 * The store of a single instance: a Map in insertion order, so that the first entries are the oldest. Bounded:
 * past `maxEntries` the oldest successes are forgotten (claims of handlers still running are kept until they lapse),
 * and expired entries are dropped as new ones come in.
 */
export class MemoryWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: { ttlSeconds: number; claimSeconds: number; maxEntries: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Entries held, expired ones included until they are swept. */
  get size(): number {
    return this.entries.size;
  }

  async claim(webhookId: string, handlerKey: string, token: string): Promise<WebhookClaim> {
    const key = entryKey(webhookId, handlerKey);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.state === DONE ? 'done' : 'busy';
    this.put(key, token, this.options.claimSeconds);
    return 'claimed';
  }

  async complete(webhookId: string, handlerKey: string): Promise<void> {
    this.put(entryKey(webhookId, handlerKey), DONE, this.options.ttlSeconds);
  }

  async release(webhookId: string, handlerKey: string, token: string): Promise<void> {
    const key = entryKey(webhookId, handlerKey);
    if (this.entries.get(key)?.state === token) this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private put(key: string, state: string, seconds: number): void {
    // Re-inserted so that the Map's order stays the order of expiry, oldest first.
    this.entries.delete(key);
    this.entries.set(key, { state, expiresAt: this.now() + seconds * 1000 });
    this.sweep();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      const expired = entry.expiresAt <= now;
      if (this.entries.size <= this.options.maxEntries && !expired) break;
      // A handler still running keeps its claim past the cap: forgotten, a redelivery would run it again meanwhile.
      if (!expired && entry.state !== DONE) continue;
      this.entries.delete(key);
    }
  }
}

/** Handler keys hold no newline, so the pair can't be confused with another. */
function entryKey(webhookId: string, handlerKey: string): string {
  return `${handlerKey}\n${webhookId}`;
}
