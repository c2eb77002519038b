import { Controller, HttpCode, Post } from '@nestjs/common';
import { TrialReminderRun, TrialReminderService } from './trial-reminder.service';

/** The trial-reminder job as a route, for a cron or a scheduler to call. */
@Controller('jobs')
export class TrialRemindersController {
  constructor(private readonly reminders: TrialReminderService) {}

  // Extra calls are harmless: an account is reminded once, whoever calls and however often.
  @Post('trial-reminders')
  @HttpCode(200)
  run(): Promise<TrialReminderRun> {
    return this.reminders.sendTrialReminders();
  }
}
