/**
 * The date strings Loops reads (ECMA-262 date-time forms): `YYYY-MM-DD`, optionally followed by `T` or a space
 * and `HH:MM[:SS[.sss]]`, and an offset (`Z`, `+02:00`). `Date.prototype.toISOString()` output is one of them.
 */
const LOOPS_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Whether `value` is a date string Loops accepts for a `date` property, and a real date (no 31 February). */
export function isLoopsDateString(value: string): boolean {
  if (!LOOPS_DATE.test(value)) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const calendarDay = new Date(Date.UTC(year, month - 1, day));
  return (
    calendarDay.getUTCMonth() === month - 1 &&
    calendarDay.getUTCDate() === day &&
    !Number.isNaN(Date.parse(value.replace(' ', 'T')))
  );
}
