import { Injectable, Logger } from '@nestjs/common';
import { type LoopsWebhookEvent, OnLoopsWebhook } from 'nestjs-loops';
import { AccountsService } from './accounts.service';

/**
 * Mirrors into our accounts what Loops learns about their addresses, so the app stops emailing them. Each
 * handler is safe to run twice: marking an account twice leaves it as once.
 */
@Injectable()
export class EmailStatusWebhooks {
  private readonly logger = new Logger(EmailStatusWebhooks.name);

  constructor(private readonly accounts: AccountsService) {}

  @OnLoopsWebhook('email.hardBounced')
  hardBounced(event: LoopsWebhookEvent<'email.hardBounced'>): void {
    this.mark(event.contactIdentity, 'bounced');
  }

  /** Also sent after a hard bounce, and when the contact is deleted in Loops. */
  @OnLoopsWebhook('contact.unsubscribed')
  unsubscribed(event: LoopsWebhookEvent<'contact.unsubscribed'>): void {
    this.mark(event.contactIdentity, 'unsubscribed');
  }

  private mark(
    contact: { id: string; userId: string | null; email: string },
    status: 'bounced' | 'unsubscribed',
  ): void {
    const account = this.accounts.markEmail(contact, status);
    // Not ours (a contact from a Loops form, say): acknowledged all the same, or Loops would keep retrying.
    if (!account) this.logger.log(`Loops contact ${contact.id} is not one of our accounts; nothing to mark`);
  }
}
