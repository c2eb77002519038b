import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { describe } from '../utils/read-option';

/**
 * The kinds of line the module logs while it runs:
 * - `failed`: a background event that will not be delivered, with its name, key, masked contact and reason;
 * - `dropped`: an event `@EmitLoopsEvent()` could not build, and why;
 * - `deduplicated`: a background event Loops already had, not sent again;
 * - `dryRun`: what `dryRun` would have sent;
 * - `catalogViolation`: an event that breaks the catalog, sent anyway (`catalogViolations: 'warn'`);
 * - `queue`: Redis errors (queue, shared rate limit, webhook deduplication), and what shutdown could not deliver;
 * - `verified`: the start-up check (`verify`) found the key and the catalog as the account has them;
 * - `verifyProblem`: the start-up check found drift or a rejected key (with `verify: 'warn'`), or no answer;
 * - `webhookRefused`: a webhook answered 4xx: size, media type, signature, payload, or handled elsewhere (409);
 * - `webhookFailed`: a webhook answered 5xx: a handler threw, the deduplication store failed, or no raw body;
 * - `webhookUnhandled`: a verified webhook no handler takes, acknowledged.
 */
export type LoopsLogKind =
  | 'failed'
  | 'dropped'
  | 'deduplicated'
  | 'dryRun'
  | 'catalogViolation'
  | 'queue'
  | 'verified'
  | 'verifyProblem'
  | 'webhookRefused'
  | 'webhookFailed'
  | 'webhookUnhandled';

/**
 * Nest's log levels, spelt out rather than imported: a type-only import of `@nestjs/common` in our CommonJS
 * declarations breaks the type check of an ESM app on Nest 12 that checks libraries' types.
 */
export type LoopsLogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** The level of each kind of line; `false` leaves it out. */
export type LoopsLogLevels = Partial<Record<LoopsLogKind, LoopsLogLevel | false>>;

export const DEFAULT_LOG_LEVELS: Readonly<Record<LoopsLogKind, LoopsLogLevel | false>> = {
  failed: 'error',
  dropped: 'warn',
  deduplicated: 'log',
  dryRun: 'log',
  catalogViolation: 'warn',
  queue: 'error',
  verified: 'log',
  verifyProblem: 'warn',
  webhookRefused: 'warn',
  webhookFailed: 'error',
  webhookUnhandled: 'debug',
};

const LEVELS: readonly LoopsLogLevel[] = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'];

/** The `logLevels` option with its defaults filled in. */
export function resolveLogLevels(value: unknown): Record<LoopsLogKind, LoopsLogLevel | false> {
  if (value === undefined) return { ...DEFAULT_LOG_LEVELS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoopsConfigurationError('logLevels', 'must be an object such as { failed: "warn", deduplicated: false }');
  }
  const levels = { ...DEFAULT_LOG_LEVELS };
  for (const [kind, level] of Object.entries(value)) {
    if (!Object.hasOwn(DEFAULT_LOG_LEVELS, kind)) {
      throw new LoopsConfigurationError(
        `logLevels.${kind}`,
        `is not a kind of log line; the kinds are ${Object.keys(DEFAULT_LOG_LEVELS).join(', ')}`,
      );
    }
    // Absent, as for every other option: `{ failed: config.get('LOOPS_FAILED_LEVEL') }` with the variable unset.
    if (level === undefined) continue;
    if (level !== false && !LEVELS.includes(level as LoopsLogLevel)) {
      throw new LoopsConfigurationError(
        `logLevels.${kind}`,
        `must be one of ${LEVELS.map((name) => `'${name}'`).join(', ')} or false (got ${describe(level)})`,
      );
    }
    levels[kind as LoopsLogKind] = level as LoopsLogLevel | false;
  }
  return levels;
}
