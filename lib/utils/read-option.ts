import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { didYouMean } from './closest-name';

/** Node's timers overflow past 2^31 - 1 ms (about 24.8 days) and then fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every key of `T`, listed once: the compiler refuses a list that misses one, so a new option cannot be forgotten
 * by the check that refuses unknown ones.
 */
export function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : never)
  ): readonly string[] => keys;
}

/**
 * The object at `option`, `{}` when absent. With `known`, a key it doesn't know (a typo such as `timeout`) is refused,
 * with the closest known key as a suggestion, rather than ignored while the default applies.
 */
export function readObject(value: unknown, option: string, known?: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoopsConfigurationError(option, `must be an object (got ${describe(value)})`);
  }
  if (known) rejectUnknownKeys(value as Record<string, unknown>, option, known);
  return value as Record<string, unknown>;
}

/** Refuses keys of `object` that are not in `known`; `option` is the path of the object, empty at the top. */
export function rejectUnknownKeys(object: Record<string, unknown>, option: string, known: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const path = option ? `${option}.${key}` : key;
    throw new LoopsConfigurationError(path, `is not an option${didYouMean(key, known)}`);
  }
}

export interface NumberRule {
  min: number;
  /** Default: a duration's timer limit (`duration`), or no limit. */
  max?: number;
  integer?: boolean;
  /**
   * A time in whole milliseconds, which Node's timers can only wait up to `MAX_TIMER_MS`. Whole because some reach
   * Redis (a slot's expiry, BullMQ's lock), which refuses a fractional one halfway through a script.
   */
  duration?: boolean;
}

export function readNumber(value: unknown, option: string, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const integer = rule.integer === true || rule.duration === true;
  const kind = rule.duration ? 'a whole number of milliseconds' : integer ? 'an integer' : 'a finite number';
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new LoopsConfigurationError(option, `must be ${kind} (got ${describe(value)})`);
  }
  if (value < rule.min) {
    throw new LoopsConfigurationError(option, `must be ${kind} >= ${rule.min} (got ${value})`);
  }
  const max = rule.max ?? (rule.duration ? MAX_TIMER_MS : Infinity);
  if (value > max) {
    const why = rule.duration && rule.max === undefined ? ", the longest Node's timers can wait" : '';
    throw new LoopsConfigurationError(option, `must be at most ${max}${why} (got ${value})`);
  }
  return value;
}

export function readBoolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new LoopsConfigurationError(option, `must be a boolean (got ${describe(value)})`);
  return value;
}

/** A short description of a rejected value: its type, never its content (it may be the key). */
export function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
