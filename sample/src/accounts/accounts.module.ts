import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { EmailStatusWebhooks } from './email-status.webhooks';
import { TrialReminderService } from './trial-reminder.service';
import { TrialRemindersController } from './trial-reminders.controller';
import { WelcomeEmailService } from './welcome-email.service';

// LoopsModule is global, so this module uses its services and @EmitLoopsEvent without importing it, and
// LoopsModule finds the @OnLoopsWebhook() handlers of EmailStatusWebhooks on its own.
@Module({
  controllers: [AccountsController, TrialRemindersController],
  providers: [AccountsService, TrialReminderService, WelcomeEmailService, EmailStatusWebhooks],
})
export class AccountsModule {}
