import type { Plan } from './plan';

export interface Account {
  id: string;
  email: string;
  firstName: string;
  plan: Plan;
  /** Every account starts with a trial of its plan. */
  trialEndsAt: Date;
  createdAt: Date;
  updatedAt: Date;
}
