import type { EmailStatus } from './email-status';
import type { Plan } from './plan';

export interface Account {
  id: string;
  email: string;
  firstName: string;
  plan: Plan;
  /** Every account starts with a trial of its plan. */
  trialEndsAt: Date;
  /** What Loops' webhooks said of the address: the app stops emailing it unless it is `subscribed`. */
  emailStatus: EmailStatus;
  createdAt: Date;
  updatedAt: Date;
}
