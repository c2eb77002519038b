import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { TrialReminderService } from './trial-reminder.service';
import { TrialRemindersController } from './trial-reminders.controller';
import { WelcomeEmailService } from './welcome-email.service';

// LoopsModule is global, so this module uses its services and @EmitLoopsEvent without importing it.
@Module({
  controllers: [AccountsController, TrialRemindersController],
  providers: [AccountsService, TrialReminderService, WelcomeEmailService],
})
export class AccountsModule {}
