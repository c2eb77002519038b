import { Injectable, Logger } from '@nestjs/common';
import { LoopsEventsService } from 'nestjs-loops';
import type { Account } from './account';
import { AccountsService } from './accounts.service';
import { DAY_MS, TRIAL_REMINDER_DAYS } from './trial';

export interface TrialReminderRun {
  /** Reminders Loops accepted in this run. */
  sent: number;
  /** Reminders that could not be sent; the next run tries them again. */
  failed: number;
}

/** Reminds accounts that their trial ends soon: the job a scheduler runs, say, every hour. */
@Injectable()
export class TrialReminderService {
  private readonly logger = new Logger(TrialReminderService.name);
  private readonly reminded = new Set<string>();

  constructor(
    private readonly accounts: AccountsService,
    private readonly loops: LoopsEventsService,
  ) {}

  async sendTrialReminders(): Promise<TrialReminderRun> {
    const now = new Date();
    const due = this.accounts
      .findTrialsEndingBetween(now, new Date(now.getTime() + TRIAL_REMINDER_DAYS * DAY_MS))
      // An address that bounced or unsubscribed is not emailed again.
      .filter((account) => !this.reminded.has(account.id) && account.emailStatus === 'subscribed');
    const run: TrialReminderRun = { sent: 0, failed: 0 };
    // One at a time: the job is in no hurry, and the module's rate limit is shared with the app's requests.
    for (const account of due) {
      const outcome = await this.remind(account, now);
      if (outcome !== 'already-sent') run[outcome]++;
    }
    return run;
  }

  private async remind(account: Account, now: Date): Promise<'sent' | 'failed' | 'already-sent'> {
    try {
      // Awaited rather than queued: the account only counts as reminded once Loops has accepted the event.
      const result = await this.loops.sendEvent(
        {
          eventName: 'trialEnding',
          email: account.email,
          eventProperties: {
            plan: account.plan,
            trialEndsAt: account.trialEndsAt,
            daysLeft: Math.ceil((account.trialEndsAt.getTime() - now.getTime()) / DAY_MS),
          },
        },
        // One reminder per account: in a run overlapping this one, Loops already has the key and the send
        // resolves as deduplicated instead of sending it again.
        { idempotencyKey: `trialEnding-${account.id}` },
      );
      this.reminded.add(account.id);
      return result.deduplicated ? 'already-sent' : 'sent';
    } catch (error) {
      this.logger.error(`Trial reminder for account ${account.id} failed: ${(error as Error).message}`);
      return 'failed';
    }
  }
}
