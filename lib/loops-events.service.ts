import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import type { BackgroundDelivery, BackgroundDeliveryHandlers } from './delivery/background-delivery';
import { createBullMqBackgroundDelivery } from './delivery/bullmq-background-delivery';
import { DeliveryAttemptResult, LoopsSender, PreparedEvent } from './delivery/loops-sender';
import { MemoryBackgroundDelivery } from './delivery/memory-background-delivery';
import { RateLimiter } from './delivery/rate-limiter';
import type { LoopsEventInput } from './catalog/loops-register';
import { SendEventDto, SendEventInput } from './dto/send-event.dto';
import { validateIdempotencyKey, validateSendEvent } from './dto/validate-send-event';
import { LoopsIdempotencyConflictError } from './errors/loops-idempotency-conflict.error';
import type { LoopsDeliveryOutcome } from './interfaces/loops-delivery-outcome.interface';
import type { LoopsSendResult, SendEventOptions } from './interfaces/loops-send-result.interface';
import { buildEventBody } from './loops-event-body';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from './loops-options';
import { LoopsTransport } from './transport/loops-transport';
import { maskEmails } from './utils/mask-email';

/** Sends events to Loops, awaited (`sendEvent`) or in the background (`enqueueEvent`). */
@Injectable()
export class LoopsEventsService implements OnModuleInit, OnApplicationShutdown {
  /** Every settled background delivery, and every event the interceptor had to drop. */
  readonly deliveries$: Observable<LoopsDeliveryOutcome>;

  protected readonly logger = new Logger(LoopsEventsService.name);
  private readonly outcomes = new Subject<LoopsDeliveryOutcome>();
  private readonly sender: LoopsSender;
  private readonly background: BackgroundDelivery;

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    transport: LoopsTransport,
  ) {
    this.deliveries$ = this.outcomes.asObservable();
    const handlers: BackgroundDeliveryHandlers = {
      deliver: (event, signal) => this.deliverInBackground(event, signal),
      reportAlreadyDelivered: (event) => this.emitAlreadyDelivered(event, 0),
      reportFailure: (event, error, attempts) => this.emitFailure(event, error, attempts),
      logError: (message) => this.logger.error(message),
    };
    this.background =
      options.delivery.queue === 'bullmq'
        ? createBullMqBackgroundDelivery(options, options.delivery, handlers)
        : new MemoryBackgroundDelivery(options, handlers);
    const limiter =
      this.background.sharedRateLimiter ??
      (options.requestsPerSecond === undefined ? undefined : new RateLimiter(options.requestsPerSecond));
    this.sender = new LoopsSender(options, transport, limiter);
  }

  async onModuleInit(): Promise<void> {
    await this.background.start();
  }

  /**
   * Validates the event, then sends it and waits for Loops to accept it, retrying as configured.
   * @throws LoopsValidationError before any request when the event breaks a rule.
   * @throws LoopsApiError (or a subclass) or LoopsNetworkError when it could not be delivered.
   */
  async sendEvent(event: LoopsEventInput, options: SendEventOptions = {}): Promise<LoopsSendResult> {
    const prepared = this.prepare(event, options.idempotencyKey);
    const outcome = await this.deliver(prepared, options.signal);
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  }

  /**
   * Validates the event at once and queues it for background delivery; returns its idempotency key.
   * The outcome arrives on `deliveries$` (and in the log when it fails). With BullMQ the job is added
   * to Redis in the background; use `enqueueEventAsync` to wait until Redis has it.
   * @throws LoopsValidationError when the event breaks a rule.
   * @throws LoopsQueueFullError when `queue.maxPending` events are pending.
   * @throws LoopsShutdownError once the app is shutting down.
   */
  enqueueEvent(event: LoopsEventInput, options: Pick<SendEventOptions, 'idempotencyKey'> = {}): string {
    const prepared = this.prepare(event, options.idempotencyKey);
    this.background.add(prepared).catch((error: Error) => this.emitFailure(prepared, error, 0));
    return prepared.idempotencyKey;
  }

  /**
   * `enqueueEvent` that resolves once the queue holds the event: at once in memory, once Redis
   * acknowledged the job with BullMQ. Rejects (instead of reporting) when the event can't be queued,
   * e.g. with `LoopsQueueUnavailableError` when Redis doesn't answer within `enqueueTimeoutMs`.
   */
  async enqueueEventAsync(
    event: LoopsEventInput,
    options: Pick<SendEventOptions, 'idempotencyKey'> = {},
  ): Promise<string> {
    const prepared = this.prepare(event, options.idempotencyKey);
    await this.background.add(prepared);
    return prepared.idempotencyKey;
  }

  /** Where background events wait: `memory` takes them synchronously, `bullmq` once Redis acknowledges. */
  get backgroundQueue(): 'memory' | 'bullmq' {
    return this.options.delivery.queue;
  }

  /** Background events taken by this instance and not settled yet. */
  get pendingCount(): number {
    return this.background.pending;
  }

  /**
   * Waits until every event enqueued before the call has settled (sent or failed). With BullMQ: until
   * the queue in Redis has nothing waiting, delayed or active, whichever instance delivers it.
   * @returns false if `timeoutMs` passed first.
   */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.background.flush(timeoutMs);
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

  /** Stops accepting events and settles the background queue within `shutdownTimeoutMs`. */
  async onApplicationShutdown(): Promise<void> {
    await this.background.shutdown();
    this.outcomes.complete();
  }

  private prepare(event: SendEventInput | SendEventDto, idempotencyKey: string | undefined): PreparedEvent {
    const key = validateIdempotencyKey(idempotencyKey) ?? randomUUID();
    const dto = validateSendEvent(event);
    this.options.catalog?.enforce(dto, this.logger);
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

  private async deliverInBackground(event: PreparedEvent, signal?: AbortSignal): Promise<LoopsDeliveryOutcome> {
    const outcome = await this.deliver(event, signal);
    if (!outcome.ok && outcome.error instanceof LoopsIdempotencyConflictError) {
      // The key was chosen by the caller to name one logical event (an order id, say), and Loops has it
      // already: a client's retry of the request that enqueued it. Delivered, not failed.
      return this.emitAlreadyDelivered(event, outcome.attempts);
    }
    if (!outcome.ok) return this.emitFailure(event, outcome.error, outcome.attempts);
    return this.emitSent(event, outcome.result);
  }

  private emitAlreadyDelivered(event: PreparedEvent, attempts: number): LoopsDeliveryOutcome {
    this.logger.log(`Loops event "${event.eventName}" (${event.idempotencyKey}) was accepted earlier; not sent again`);
    return this.emitSent(event, { attempts, deduplicated: true, dryRun: false });
  }

  private emitSent(
    event: PreparedEvent,
    { attempts, deduplicated, dryRun }: Omit<LoopsSendResult, 'success' | 'idempotencyKey'>,
  ): LoopsDeliveryOutcome {
    const outcome: LoopsDeliveryOutcome = {
      status: 'sent',
      eventName: event.eventName,
      idempotencyKey: event.idempotencyKey,
      attempts,
      deduplicated,
      dryRun,
    };
    this.outcomes.next(outcome);
    return outcome;
  }

  private emitFailure(event: PreparedEvent, error: Error, attempts: number): LoopsDeliveryOutcome {
    this.logger.error(
      maskEmails(
        `Loops event "${event.eventName}" (${event.idempotencyKey}) for ${describeContact(event.body)} failed ` +
          `after ${attempts} attempt(s): ${error.message}`,
      ),
    );
    const outcome: LoopsDeliveryOutcome = {
      status: 'failed',
      eventName: event.eventName,
      idempotencyKey: event.idempotencyKey,
      attempts,
      error,
    };
    this.outcomes.next(outcome);
    return outcome;
  }
}

function describeContact(body: Record<string, unknown>): string {
  return typeof body.email === 'string' ? body.email : `userId ${String(body.userId)}`;
}
