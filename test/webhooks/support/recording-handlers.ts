import { Injectable } from '@nestjs/common';
import { type LoopsWebhookContext, type LoopsWebhookEvent, OnLoopsWebhook } from '../../../lib';

export interface HandledWebhook {
  handler: string;
  eventName: string;
  webhookId: string;
  event: unknown;
  context: LoopsWebhookContext;
}

/**
 * Handlers that record what they get; a test makes one fail (`failNext`) or hold (`hold`) to act out a
 * broken or slow handler.
 */
@Injectable()
export class RecordingHandlers {
  readonly handled: HandledWebhook[] = [];
  private readonly failures = new Map<string, number>();
  private hooks: Array<(entry: HandledWebhook) => Promise<void> | void> = [];

  /** Makes the next `count` runs of `handler` throw. */
  failNext(handler: string, count = 1): void {
    this.failures.set(handler, (this.failures.get(handler) ?? 0) + count);
  }

  /** Runs `hook` inside every handler call, before it returns (e.g. to wait on a barrier). */
  during(hook: (entry: HandledWebhook) => Promise<void> | void): void {
    this.hooks.push(hook);
  }

  names(): string[] {
    return this.handled.map((entry) => `${entry.handler} ${entry.eventName}`);
  }

  @OnLoopsWebhook('email.hardBounced')
  hardBounced(event: LoopsWebhookEvent<'email.hardBounced'>, context: LoopsWebhookContext): Promise<void> {
    return this.record('hardBounced', event, context);
  }

  @OnLoopsWebhook('email.hardBounced', 'contact.unsubscribed')
  stopEmailing(
    event: LoopsWebhookEvent<'email.hardBounced' | 'contact.unsubscribed'>,
    context: LoopsWebhookContext,
  ): Promise<void> {
    return this.record('stopEmailing', event, context);
  }

  @OnLoopsWebhook('contact.created')
  contactCreated(event: LoopsWebhookEvent<'contact.created'>, context: LoopsWebhookContext): Promise<void> {
    return this.record('contactCreated', event, context);
  }

  private async record(handler: string, event: { eventName: string }, context: LoopsWebhookContext): Promise<void> {
    const entry = { handler, eventName: event.eventName, webhookId: context.webhookId, event, context };
    for (const hook of this.hooks) await hook(entry);
    const failures = this.failures.get(handler) ?? 0;
    if (failures > 0) {
      this.failures.set(handler, failures - 1);
      throw new Error(`${handler} failed on purpose for ada@example.com`);
    }
    this.handled.push(entry);
  }
}

/** A catch-all handler in another provider: it gets every event, known or not. */
@Injectable()
export class AuditTrail {
  readonly seen: string[] = [];

  @OnLoopsWebhook('*')
  all(event: LoopsWebhookEvent<'*'>): void {
    this.seen.push(event.eventName);
  }
}
