import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { readNumber } from '../utils/read-option';
import { CatalogEnforcer, type LoopsCatalogViolations } from './catalog-enforcer';
import type { LoopsCatalog } from './loops-catalog';
import { validateLoopsCatalog } from './validate-loops-catalog';

/** `off`: no check. `warn`: problems are logged. `error`: a rejected key or a catalog drift stops the boot. */
export type LoopsVerifyMode = 'off' | 'warn' | 'error';

/** The options of `LoopsModule` about the event catalog. */
export interface LoopsCatalogOptions {
  /**
   * The app's event catalog (`defineLoopsEvents()`). Every event is checked against it before any request:
   * an undeclared event or property, a missing or mistyped one, fails with `LoopsValidationError`.
   */
  catalog?: LoopsCatalog;
  /** `error` (default): a send that breaks the catalog throws. `warn`: it is logged once and sent anyway. */
  catalogViolations?: LoopsCatalogViolations;
  /**
   * At start-up, check the API key (`GET /v1/api-key`) and the catalog against the Loops account. `warn` logs
   * what is wrong, `error` stops the boot with it. Never in `dryRun`; Loops being unreachable or slow is
   * only logged. Default `off`.
   */
  verify?: LoopsVerifyMode;
  /** Longest the start-up check may delay the boot. Default 5 000 ms. */
  verifyTimeoutMs?: number;
}

export interface ResolvedCatalogOptions {
  /** `undefined` without a catalog. */
  catalog: CatalogEnforcer | undefined;
  verify: { mode: LoopsVerifyMode; timeoutMs: number };
}

const VERIFY_MODES: readonly LoopsVerifyMode[] = ['off', 'warn', 'error'];
const VIOLATION_MODES: readonly LoopsCatalogViolations[] = ['error', 'warn'];

/** Checks the catalog options and fills in their defaults. @throws LoopsConfigurationError naming the option. */
export function resolveCatalogOptions(options: LoopsCatalogOptions): ResolvedCatalogOptions {
  const violations = readChoice(options.catalogViolations, 'catalogViolations', VIOLATION_MODES, 'error');
  const mode = readChoice(options.verify, 'verify', VERIFY_MODES, 'off');
  const timeoutMs = readNumber(options.verifyTimeoutMs, 'verifyTimeoutMs', 5_000, { min: 1, duration: true });
  if (options.catalog === undefined && options.catalogViolations !== undefined) {
    throw new LoopsConfigurationError('catalogViolations', 'has no effect without the catalog option');
  }
  return {
    catalog:
      options.catalog === undefined
        ? undefined
        : new CatalogEnforcer(validateLoopsCatalog(options.catalog, 'catalog'), violations),
    verify: { mode, timeoutMs },
  };
}

function readChoice<T extends string>(value: unknown, option: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw new LoopsConfigurationError(option, `must be one of ${choices.map((choice) => `'${choice}'`).join(', ')}`);
  }
  return value as T;
}
