import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import { DeliveryQueue } from './delivery/delivery-queue';
import { DeliveryAttemptResult, LoopsSender, PreparedEvent } from './delivery/loops-sender';
import { SendEventDto, SendEventInput } from './dto/send-event.dto';
import { validateIdempotencyKey, validateSendEvent } from './dto/validate-send-event';
import { LoopsIdempotencyConflictError } from './errors/loops-idempotency-conflict.error';
import { LoopsShutdownError } from './errors/loops-shutdown.error';
import type { LoopsDeliveryOutcome } from './interfaces/loops-delivery-outcome.interface';
import type { LoopsSendResult, SendEventOptions } from './interfaces/loops-send-result.interface';
import { buildEventBody } from './loops-event-body';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from './loops-options';
import { LoopsTransport } from './transport/loops-transport';
import { abortableSleep } from './utils/abortable-sleep';
import { maskEmails } from './utils/mask-email';

/** Sends events to Loops, awaited (`sendEvent`) or in the background (`enqueueEvent`). */
@Injectable()
export class LoopsEventsService implements OnApplicationShutdown {
  /** Every settled background delivery, and every event the interceptor had to drop. */
  readonly deliveries$: Observable<LoopsDeliveryOutcome>;

  protected readonly logger = new Logger(LoopsEventsService.name);
  private readonly outcomes = new Subject<LoopsDeliveryOutcome>();
  private readonly sender: LoopsSender;
  private readonly queue: DeliveryQueue<PreparedEvent>;
  /** Aborted when shutdown gives up waiting: cuts in-flight background attempts short. */
  private readonly shutdownController = new AbortController();

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    transport: LoopsTransport,
  ) {
    this.deliveries$ = this.outcomes.asObservable();
    this.sender = new LoopsSender(options, transport);
    this.queue = new DeliveryQueue(options.queue.concurrency, options.queue.maxPending, (event) =>
      this.deliverInBackground(event),
    );
  }

  /**
   * Validates the event, then sends it and waits for Loops to accept it, retrying as configured.
   * @throws LoopsValidationError before any request when the event breaks a rule.
   * @throws LoopsApiError (or a subclass) or LoopsNetworkError when it could not be delivered.
   */
  async sendEvent(event: SendEventInput | SendEventDto, options: SendEventOptions = {}): Promise<LoopsSendResult> {
    const prepared = this.prepare(event, options.idempotencyKey);
    const outcome = await this.deliver(prepared, options.signal);
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  }

  /**
   * Validates the event at once and queues it for background delivery; returns its idempotency key.
   * The outcome arrives on `deliveries$` (and in the log when it fails).
   * @throws LoopsValidationError when the event breaks a rule.
   * @throws LoopsQueueFullError when `queue.maxPending` events are pending.
   * @throws LoopsShutdownError once the app is shutting down.
   */
  enqueueEvent(event: SendEventInput | SendEventDto, options: Pick<SendEventOptions, 'idempotencyKey'> = {}): string {
    const prepared = this.prepare(event, options.idempotencyKey);
    this.queue.push(prepared);
    return prepared.idempotencyKey;
  }

  /** Background events waiting or in flight. */
  get pendingCount(): number {
    return this.queue.pending;
  }

  /**
   * Waits until every event enqueued before the call has settled (sent or failed).
   * @returns false if `timeoutMs` passed first.
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    const settled = this.queue.settled().then(() => true);
    if (timeoutMs === undefined) return settled;
    const timeout = new AbortController();
    const timedOut = abortableSleep(timeoutMs, timeout.signal).then(
      () => false,
      () => false,
    );
    try {
      return await Promise.race([settled, timedOut]);
    } finally {
      timeout.abort();
    }
  }

  /**
   * Records an event that could not be built (no contact, a failing mapper, an invalid event):
   * a warning in the log and a `dropped` outcome on `deliveries$`.
   */
  reportDropped(eventName: string, reason: Error, source?: string): void {
    const where = source ? ` from ${source}` : '';
    this.logger.warn(maskEmails(`Loops event "${eventName}"${where} was not sent: ${reason.message}`));
    this.outcomes.next({ status: 'dropped', eventName, attempts: 0, error: reason });
  }

  /** Stops accepting events and drains the queue within `shutdownTimeoutMs`, then reports what is left. */
  async onApplicationShutdown(): Promise<void> {
    this.queue.close();
    const drained = await this.flush(this.options.shutdownTimeoutMs);
    if (!drained) {
      const { waiting, inFlight } = this.queue.takeRemaining();
      const lost = [...inFlight, ...waiting];
      this.logger.error(
        `${lost.length} Loops event(s) could not be delivered within shutdownTimeoutMs ` +
          `(${this.options.shutdownTimeoutMs} ms): ${summarizeNames(lost)}`,
      );
      const reason = new LoopsShutdownError('The app shut down before this event was delivered');
      for (const event of waiting) this.emitFailure(event, reason, 0);
      this.shutdownController.abort(reason);
      await this.queue.settled();
    }
    this.outcomes.complete();
  }

  private prepare(event: SendEventInput | SendEventDto, idempotencyKey: string | undefined): PreparedEvent {
    const key = validateIdempotencyKey(idempotencyKey) ?? randomUUID();
    const dto = validateSendEvent(event);
    return { eventName: dto.eventName, idempotencyKey: key, body: buildEventBody(dto) };
  }

  private async deliver(event: PreparedEvent, signal?: AbortSignal): Promise<DeliveryAttemptResult> {
    if (!this.options.dryRun) return this.sender.deliver(event, signal);
    this.logger.log(
      maskEmails(`[dry run] Loops event "${event.eventName}" (${event.idempotencyKey}): ${JSON.stringify(event.body)}`),
    );
    return {
      ok: true,
      result: { success: true, idempotencyKey: event.idempotencyKey, attempts: 0, deduplicated: false, dryRun: true },
    };
  }

  private async deliverInBackground(event: PreparedEvent): Promise<void> {
    const outcome = await this.deliver(event, this.shutdownController.signal);
    if (!outcome.ok && outcome.error instanceof LoopsIdempotencyConflictError) {
      // The key was chosen by the caller to name one logical event (an order id, say), and Loops has it
      // already: a client's retry of the request that enqueued it. Delivered, not failed.
      this.logger.log(
        `Loops event "${event.eventName}" (${event.idempotencyKey}) was accepted earlier; not sent again`,
      );
      return this.emitSent(event, { attempts: outcome.attempts, deduplicated: true, dryRun: false });
    }
    if (!outcome.ok) return this.emitFailure(event, outcome.error, outcome.attempts);
    this.emitSent(event, outcome.result);
  }

  private emitSent(
    event: PreparedEvent,
    { attempts, deduplicated, dryRun }: Omit<LoopsSendResult, 'success' | 'idempotencyKey'>,
  ): void {
    this.outcomes.next({
      status: 'sent',
      eventName: event.eventName,
      idempotencyKey: event.idempotencyKey,
      attempts,
      deduplicated,
      dryRun,
    });
  }

  private emitFailure(event: PreparedEvent, error: Error, attempts: number): void {
    this.logger.error(
      maskEmails(
        `Loops event "${event.eventName}" (${event.idempotencyKey}) for ${describeContact(event.body)} failed ` +
          `after ${attempts} attempt(s): ${error.message}`,
      ),
    );
    this.outcomes.next({
      status: 'failed',
      eventName: event.eventName,
      idempotencyKey: event.idempotencyKey,
      attempts,
      error,
    });
  }
}

function describeContact(body: Record<string, unknown>): string {
  return typeof body.email === 'string' ? body.email : `userId ${String(body.userId)}`;
}

function summarizeNames(events: PreparedEvent[]): string {
  const counts = new Map<string, number>();
  for (const { eventName } of events) counts.set(eventName, (counts.get(eventName) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${name} (${count})`).join(', ');
}
