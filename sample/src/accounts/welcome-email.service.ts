import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoopsTransactionalService } from 'nestjs-loops';
import { WelcomeEmail } from '../transactional-emails';
import type { Account } from './account';

/** Sends the welcome email, a Loops transactional email, to an account that just signed up. */
@Injectable()
export class WelcomeEmailService {
  private readonly transactionalId: string;

  constructor(
    private readonly transactional: LoopsTransactionalService,
    config: ConfigService,
  ) {
    this.transactionalId = config.get<string>('LOOPS_WELCOME_EMAIL_ID') || WelcomeEmail.id;
  }

  /**
   * In the background: the sign-up answers at once, and the email shares the queue, retries and rate limit of the
   * app's events. The key names the account, so that the account gets one welcome email however often this runs.
   */
  send(account: Account): string {
    return this.transactional.enqueue(
      {
        transactionalId: this.transactionalId,
        email: account.email,
        dataVariables: { firstName: account.firstName, plan: account.plan },
      },
      { idempotencyKey: `welcome-${account.id}` },
    );
  }
}
