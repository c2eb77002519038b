import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { LoopsError } from '../errors/loops.error';
import type { LoopsDeliveryOutcome } from '../interfaces/loops-delivery-outcome.interface';
import { readEventBody } from '../loops-event-body';
import { LoopsLog } from '../logging/loops-log';
import { LoopsTelemetry } from '../telemetry/loops-telemetry';
import type { LoopsPreparedEvent } from './prepared-event';

/**
 * Where every background event's end is told: one outcome on `outcomes$` (which `LoopsEventsService.deliveries$`
 * is), counted in the metrics, and a log line when it went wrong. A background engine of your own tells it here.
 */
@Injectable()
export class LoopsDeliveryReporter {
  readonly outcomes$: Observable<LoopsDeliveryOutcome>;
  private readonly outcomes = new Subject<LoopsDeliveryOutcome>();

  constructor(
    private readonly log: LoopsLog,
    private readonly telemetry: LoopsTelemetry,
  ) {
    this.outcomes$ = this.outcomes.asObservable();
  }

  sent(event: LoopsPreparedEvent, result: { attempts: number; deduplicated: boolean; dryRun: boolean }): void {
    if (result.deduplicated) {
      this.log.write(
        'deduplicated',
        `Loops event "${event.eventName}" (${event.idempotencyKey}) was accepted earlier; not sent again`,
      );
    }
    this.emit(event, { status: 'sent', eventName: event.eventName, idempotencyKey: event.idempotencyKey, ...result });
  }

  failed(
    event: LoopsPreparedEvent,
    error: LoopsError,
    result: { attempts: number; mayHaveBeenAccepted: boolean },
  ): void {
    const input = readEventBody(event.body);
    const contact = input.email ?? `userId ${String(input.userId)}`;
    this.log.write(
      'failed',
      `Loops event "${event.eventName}" (${event.idempotencyKey}) for ${contact} failed ` +
        `after ${result.attempts} attempt(s): ${error.message}` +
        (result.mayHaveBeenAccepted ? ' (an earlier attempt may have reached Loops)' : ''),
    );
    this.emit(event, {
      status: 'failed',
      eventName: event.eventName,
      idempotencyKey: event.idempotencyKey,
      attempts: result.attempts,
      error,
      mayHaveBeenAccepted: result.mayHaveBeenAccepted,
      event: input,
    });
  }

  dropped(eventName: string, reason: Error, source?: string): void {
    const where = source ? ` from ${source}` : '';
    this.log.write('dropped', `Loops event "${eventName}"${where} was not sent: ${reason.message}`);
    this.emit(undefined, { status: 'dropped', eventName, error: reason });
  }

  logError(message: string): void {
    this.log.write('queue', message);
  }

  complete(): void {
    this.outcomes.complete();
  }

  private emit(event: LoopsPreparedEvent | undefined, outcome: LoopsDeliveryOutcome): void {
    this.telemetry.settled(outcome, event);
    this.outcomes.next(outcome);
  }
}
