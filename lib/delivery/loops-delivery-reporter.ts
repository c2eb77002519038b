import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { LoopsError } from '../errors/loops.error';
import type { LoopsDeliveryOutcome } from '../interfaces/loops-delivery-outcome.interface';
import type { LoopsTransactionalOutcome } from '../interfaces/loops-transactional-outcome.interface';
import { readEventBody } from '../loops-event-body';
import { LoopsLog } from '../logging/loops-log';
import { LoopsTelemetry } from '../telemetry/loops-telemetry';
import { readTransactionalBody } from '../transactional/transactional-body';
import { describeRequest, type LoopsPreparedRequest } from './prepared-request';

/**
 * Where every background event's and transactional email's end is told: one outcome on `outcomes$` (which the
 * services' `deliveries$` filter by `kind`), counted in the metrics, and a log line when it went wrong. A background
 * engine of your own tells it here.
 */
@Injectable()
export class LoopsDeliveryReporter {
  readonly outcomes$: Observable<LoopsDeliveryOutcome | LoopsTransactionalOutcome>;
  private readonly outcomes = new Subject<LoopsDeliveryOutcome | LoopsTransactionalOutcome>();

  constructor(
    private readonly log: LoopsLog,
    private readonly telemetry: LoopsTelemetry,
  ) {
    this.outcomes$ = this.outcomes.asObservable();
  }

  sent(event: LoopsPreparedRequest, result: { attempts: number; deduplicated: boolean; dryRun: boolean }): void {
    if (result.deduplicated) {
      this.log.write(
        'deduplicated',
        `Loops ${describeRequest(event)} (${event.idempotencyKey}) was accepted earlier; not sent again`,
      );
    }
    const { idempotencyKey } = event;
    const { attempts, deduplicated, dryRun } = result;
    this.emit(
      event,
      event.kind === 'transactional'
        ? {
            status: 'sent',
            kind: 'transactional',
            transactionalId: event.transactionalId,
            idempotencyKey,
            attempts,
            deduplicated,
            dryRun,
          }
        : { status: 'sent', kind: 'event', eventName: event.eventName, idempotencyKey, attempts, deduplicated, dryRun },
    );
  }

  failed(
    event: LoopsPreparedRequest,
    error: LoopsError,
    result: { attempts: number; mayHaveBeenAccepted: boolean },
  ): void {
    const { attempts, mayHaveBeenAccepted } = result;
    const { idempotencyKey } = event;
    if (event.kind === 'transactional') {
      const transactional = readTransactionalBody(event.body);
      this.logFailure(event, `to ${transactional.email}`, error, result);
      this.emit(event, {
        status: 'failed',
        kind: 'transactional',
        transactionalId: event.transactionalId,
        idempotencyKey,
        attempts,
        error,
        mayHaveBeenAccepted,
        transactional,
      });
      return;
    }
    const input = readEventBody(event.body);
    this.logFailure(event, `for ${input.email ?? `userId ${String(input.userId)}`}`, error, result);
    this.emit(event, {
      status: 'failed',
      kind: 'event',
      eventName: event.eventName,
      idempotencyKey,
      attempts,
      error,
      mayHaveBeenAccepted,
      event: input,
    });
  }

  dropped(eventName: string, reason: Error, source?: string): void {
    const where = source ? ` from ${source}` : '';
    this.log.write('dropped', `Loops event "${eventName}"${where} was not sent: ${reason.message}`);
    this.emit(undefined, { status: 'dropped', kind: 'event', eventName, error: reason });
  }

  logError(message: string): void {
    this.log.write('queue', message);
  }

  complete(): void {
    this.outcomes.complete();
  }

  private logFailure(
    event: LoopsPreparedRequest,
    recipient: string,
    error: LoopsError,
    result: { attempts: number; mayHaveBeenAccepted: boolean },
  ): void {
    this.log.write(
      'failed',
      `Loops ${describeRequest(event)} (${event.idempotencyKey}) ${recipient} failed ` +
        `after ${result.attempts} attempt(s): ${error.message}` +
        (result.mayHaveBeenAccepted ? ' (it may have reached Loops all the same)' : ''),
    );
  }

  private emit(
    event: LoopsPreparedRequest | undefined,
    outcome: LoopsDeliveryOutcome | LoopsTransactionalOutcome,
  ): void {
    this.telemetry.settled(outcome, event);
    this.outcomes.next(outcome);
  }
}
