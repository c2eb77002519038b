import { Inject, Injectable, Logger } from '@nestjs/common';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { maskEmails } from '../utils/mask-email';
import type { LoopsLogKind, LoopsLogLevel } from './loops-log-levels';

/**
 * Writes each kind of line at the level the `logLevels` option gives it, emails masked, in the context
 * `LoopsEventsService` (where every line of the module has always been).
 */
@Injectable()
export class LoopsLog {
  /** What the catalog enforcer warns through. */
  readonly catalogViolations = { warn: (message: string): void => this.write('catalogViolation', message) };

  private readonly logger = new Logger('LoopsEventsService');
  private readonly levels: Readonly<Record<LoopsLogKind, LoopsLogLevel | false>>;

  constructor(@Inject(LOOPS_RESOLVED_OPTIONS) options: ResolvedLoopsOptions) {
    this.levels = options.logLevels;
  }

  write(kind: LoopsLogKind, message: string): void {
    const level = this.levels[kind];
    if (level !== false) this.logger[level](maskEmails(message));
  }
}
