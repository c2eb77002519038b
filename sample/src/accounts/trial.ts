export const DAY_MS = 24 * 60 * 60 * 1000;

const DEFAULT_TRIAL_DAYS = 14;

/** How long before a trial ends its reminder goes out. */
export const TRIAL_REMINDER_DAYS = 3;

/** The trial length from the `TRIAL_DAYS` setting; a bad value stops the app at boot rather than later. */
export function readTrialDays(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_TRIAL_DAYS;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1) throw new Error(`TRIAL_DAYS must be a whole number >= 1, got '${value}'`);
  return days;
}
