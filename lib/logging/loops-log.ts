import type { Logger } from '@nestjs/common';
import { maskEmails } from '../utils/mask-email';
import type { LoopsLogKind, LoopsLogLevel } from './loops-log-levels';

/** Writes each kind of line at the level the `logLevels` option gives it, emails masked. */
export class LoopsLog {
  /** What the catalog enforcer warns through. */
  readonly catalogViolations = { warn: (message: string): void => this.write('catalogViolation', message) };

  constructor(
    private readonly logger: Logger,
    private readonly levels: Readonly<Record<LoopsLogKind, LoopsLogLevel | false>>,
  ) {}

  write(kind: LoopsLogKind, message: string): void {
    const level = this.levels[kind];
    if (level !== false) this.logger[level](maskEmails(message));
  }
}
