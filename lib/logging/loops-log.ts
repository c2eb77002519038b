import { Inject, Injectable, Logger } from '@nestjs/common';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { maskEmails } from '../utils/mask-email';
import type { LoopsLogKind, LoopsLogLevel } from './loops-log-levels';

/** Where each kind of line has always been: the contexts apps filter on. */
const CONTEXTS: Readonly<Record<LoopsLogKind, string>> = {
  failed: 'LoopsEventsService',
  dropped: 'LoopsEventsService',
  deduplicated: 'LoopsEventsService',
  dryRun: 'LoopsEventsService',
  catalogViolation: 'LoopsEventsService',
  queue: 'LoopsEventsService',
  verified: 'LoopsModule',
  verifyProblem: 'LoopsModule',
  webhookRefused: 'LoopsWebhooks',
  webhookFailed: 'LoopsWebhooks',
  webhookUnhandled: 'LoopsWebhooks',
};

/** Writes each kind of line at the level the `logLevels` option gives it, emails masked, in the kind's context. */
@Injectable()
export class LoopsLog {
  /** What the catalog enforcer warns through. */
  readonly catalogViolations = { warn: (message: string): void => this.write('catalogViolation', message) };

  private readonly loggers = new Map<string, Logger>();
  private readonly levels: Readonly<Record<LoopsLogKind, LoopsLogLevel | false>>;

  constructor(@Inject(LOOPS_RESOLVED_OPTIONS) options: ResolvedLoopsOptions) {
    this.levels = options.logLevels;
  }

  /** `stack` is written only at the `error` and `fatal` levels, where Nest's `Logger` takes one. */
  write(kind: LoopsLogKind, message: string, stack?: string): void {
    const level = this.levels[kind];
    if (level === false) return;
    const logger = this.loggerFor(CONTEXTS[kind]);
    const masked = maskEmails(message);
    try {
      if (stack !== undefined && (level === 'error' || level === 'fatal')) logger[level](masked, maskEmails(stack));
      else logger[level](masked);
    } catch (error) {
      // Lines are written from deliveries, shutdown and event listeners: an app logger that throws must not cost an
      // event its outcome or crash the process. The line is not lost: Node prints warnings to stderr.
      const reason = error instanceof Error ? error.message : String(error);
      process.emitWarning(`The app's logger threw (${reason}) on this Loops line: ${masked}`, 'LoopsLogWarning');
    }
  }

  private loggerFor(context: string): Logger {
    let logger = this.loggers.get(context);
    if (!logger) {
      logger = new Logger(context);
      this.loggers.set(context, logger);
    }
    return logger;
  }
}
