import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { filter, type Observable } from 'rxjs';
import type { LoopsEventInput } from './catalog/loops-register';
import { LoopsAwaitedSends } from './delivery/awaited-sends';
import { LoopsBackgroundDelivery } from './delivery/loops-background-delivery';
import { LoopsDeliveryReporter } from './delivery/loops-delivery-reporter';
import { LoopsSender } from './delivery/loops-sender';
import type { LoopsPreparedEvent } from './delivery/prepared-event';
import { LOOPS_REDIS_CONNECTION, type RedisConnection } from './delivery/redis-connection';
import { SendEventDto, SendEventInput } from './dto/send-event.dto';
import { findIdempotencyKeyIssues, validateSendEvent } from './dto/validate-send-event';
import { LoopsConfigurationError } from './errors/loops-configuration.error';
import { LoopsQueueUnavailableError } from './errors/loops-queue-unavailable.error';
import { ApiKeyCheck } from './health/api-key-check';
import type { LoopsApiKeyStatus } from './interfaces/loops-api-key-status.interface';
import type { LoopsDeliveryOutcome } from './interfaces/loops-delivery-outcome.interface';
import type { LoopsFailedEvent, LoopsFailedEventsQuery } from './interfaces/loops-failed-event.interface';
import type { LoopsQueueStatus } from './interfaces/loops-queue-status.interface';
import type { LoopsSendResult, SendEventOptions } from './interfaces/loops-send-result.interface';
import { LoopsLog } from './logging/loops-log';
import { buildEventBody } from './loops-event-body';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from './loops-options';
import { LoopsTelemetry } from './telemetry/loops-telemetry';
import { EndOfTurnBatch } from './utils/end-of-turn-batch';
import { randomUuid } from './utils/random-uuid';
import { MAX_TIMER_MS } from './utils/read-option';

/** An event handed to an engine that takes events at once, waiting for the end of the event loop's turn. */
interface HandedOverEvent {
  event: LoopsEventInput;
  idempotencyKey: string | undefined;
  onRefused: (error: unknown) => void;
  /** The OpenTelemetry context it was handed over in: the parent of its enqueue span. */
  traceContext: unknown;
}

/** Sends events to Loops, awaited (`sendEvent`) or in the background (`enqueueEvent`). */
@Injectable()
export class LoopsEventsService implements OnModuleInit, OnApplicationShutdown {
  /** Every settled background delivery, and every event the interceptor had to drop. */
  readonly deliveries$: Observable<LoopsDeliveryOutcome>;
  private readonly handedOver = new EndOfTurnBatch<HandedOverEvent>((item) => this.queueHandedOver(item));

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly sender: LoopsSender,
    private readonly awaited: LoopsAwaitedSends,
    private readonly background: LoopsBackgroundDelivery,
    private readonly reporter: LoopsDeliveryReporter,
    private readonly log: LoopsLog,
    private readonly telemetry: LoopsTelemetry,
    private readonly apiKeyCheck: ApiKeyCheck,
    @Inject(LOOPS_REDIS_CONNECTION) private readonly redis: RedisConnection | null,
  ) {
    this.deliveries$ = reporter.outcomes$.pipe(filter((outcome) => outcome.kind === 'event'));
  }

  async onModuleInit(): Promise<void> {
    // Not in the constructor: an app whose compile fails after it would be left with a gauge that reads the queue
    // (and, with BullMQ, opens a Redis connection nothing closes) at every collection.
    this.telemetry.observeQueue(() => this.queueStatus());
    await this.background.start();
  }

  /**
   * Validates the event, then sends it and waits for Loops to accept it, retrying as configured. When Loops
   * already has an event with the key you chose, it resolves with `deduplicated: true`.
   * @throws LoopsValidationError before any request when the event breaks a rule.
   * @throws LoopsApiError (or a subclass) or LoopsNetworkError when it could not be delivered; a LoopsNetworkError
   * with code `ETIMEDOUT` once `sendTimeoutMs` has passed, however the time went (rate limit, attempts, backoffs).
   * @throws LoopsQueueUnavailableError with BullMQ delivery, when Redis (which keeps the shared rate limit) is away.
   * @throws LoopsShutdownError when still running `shutdownTimeoutMs` after the app's shutdown began.
   */
  async sendEvent(event: LoopsEventInput, options: SendEventOptions = {}): Promise<LoopsSendResult> {
    const prepared = this.prepare(event, options.idempotencyKey);
    const { attempts, deduplicated, dryRun } = await this.awaited.run(
      options.signal,
      'accept the event',
      prepared.idempotencyKey,
      (signal, giveUpAt) =>
        this.telemetry.traceDelivery(prepared, 'awaited', () => this.sender.deliver(prepared, signal, giveUpAt)),
    );
    return { success: true, idempotencyKey: prepared.idempotencyKey, attempts, deduplicated, dryRun };
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
    this.telemetry.traceEnqueue(prepared, () => this.background.enqueue(prepared));
    return prepared.idempotencyKey;
  }

  /**
   * `enqueueEvent` that resolves once the queue holds the event: at once in memory, once Redis
   * acknowledged the job with BullMQ. Rejects (instead of reporting) when the event can't be queued:
   * `LoopsQueueUnavailableError` when Redis refuses it or doesn't answer within `enqueueTimeoutMs` (its
   * `mayHaveBeenQueued` says which; enqueueing again with its `idempotencyKey` never delivers twice).
   */
  async enqueueEventAsync(
    event: LoopsEventInput,
    options: Pick<SendEventOptions, 'idempotencyKey'> = {},
  ): Promise<string> {
    const prepared = this.prepare(event, options.idempotencyKey);
    await this.telemetry.traceEnqueue(prepared, () => this.background.add(prepared));
    return prepared.idempotencyKey;
  }

  /**
   * Queues the event in whichever background engine is bound, for a caller that reports what can't be queued rather
   * than throwing it (the interceptor): `onRefused` gets the reason (a broken rule, a full queue, shutdown, Redis
   * refusing it). With an engine that takes events at once (the in-memory queue), the events handed over during one
   * turn of the event loop are validated and queued together at its end, which costs a request less CPU;
   * `pendingCount`, `flush`, `queueStatus` and shutdown queue them first. Otherwise it returns a promise that
   * settles once the engine holds the event (Redis acknowledged it), or keeps adding it after an add that got no
   * answer (as `enqueueEvent` does), or `onRefused` was told why not.
   */
  queueEvent(
    event: LoopsEventInput,
    options: Pick<SendEventOptions, 'idempotencyKey'> & { onRefused: (error: unknown) => void },
  ): Promise<void> | undefined {
    const { idempotencyKey, onRefused } = options;
    if (!this.background.takesEventsAtOnce) return this.queueAcknowledged(event, idempotencyKey, onRefused);
    this.handedOver.add({ event, idempotencyKey, onRefused, traceContext: this.telemetry.activeContext() });
    return undefined;
  }

  /** The configured `delivery.queue`: `memory` takes events synchronously, `bullmq` once Redis acknowledges. */
  get backgroundQueue(): 'memory' | 'bullmq' {
    return this.options.delivery.queue;
  }

  /** Whether the background engine takes events at once, so that queueing one never makes a caller wait. */
  get takesEventsAtOnce(): boolean {
    return this.background.takesEventsAtOnce;
  }

  /** Background events taken by this instance and not settled yet (with BullMQ: not yet acknowledged by Redis). */
  get pendingCount(): number {
    this.handedOver.drain();
    return this.background.pending;
  }

  /**
   * What the background queue holds now: events waiting, being delivered, delayed and failed (the last two with
   * BullMQ, for every instance), and how long the oldest waiting event has waited.
   * @throws LoopsQueueUnavailableError with BullMQ delivery, when Redis doesn't answer within `enqueueTimeoutMs`.
   */
  queueStatus(): Promise<LoopsQueueStatus> {
    this.handedOver.drain();
    return this.background.status();
  }

  /**
   * Whether Loops accepts the API key (`GET /v1/api-key`), as last asked: a request goes out only when the last
   * answer is older than `maxAgeMs` (default 60 s), through the rate limiter, and concurrent calls share it.
   */
  apiKeyStatus(options: { maxAgeMs?: number } = {}): Promise<LoopsApiKeyStatus> {
    return this.apiKeyCheck.status(options.maxAgeMs ?? 60_000);
  }

  /**
   * Waits until every event enqueued before the call has settled (sent or failed). With BullMQ: until
   * the queue in Redis has nothing waiting, delayed or active, whichever instance delivers it.
   * @returns false if `timeoutMs` passed first.
   */
  flush(timeoutMs?: number): Promise<boolean> {
    this.handedOver.drain();
    // Node would wait 1 ms for a longer time than its timers take (a month, Infinity): that much is no limit.
    return this.background.flush(timeoutMs !== undefined && timeoutMs > MAX_TIMER_MS ? undefined : timeoutMs);
  }

  /**
   * BullMQ delivery: the events whose delivery failed for good, oldest first, as long as retention keeps them.
   * @throws LoopsConfigurationError with in-memory delivery, which keeps nothing: persist `failed` outcomes instead.
   */
  failedEvents(query: LoopsFailedEventsQuery = {}): Promise<LoopsFailedEvent[]> {
    if (!this.background.failedEvents) return Promise.reject(this.onlyWithBullMq('failedEvents'));
    return this.background.failedEvents(query);
  }

  /**
   * BullMQ delivery: queues failed events again, each with a fresh set of attempts and its own key (so an event
   * Loops accepted after all is not sent twice), e.g. after an outage. Resolves to how many were queued.
   * @throws LoopsConfigurationError with in-memory delivery.
   * @throws LoopsQueueUnavailableError when Redis fails during the replay; its message says how many were queued.
   */
  retryFailed(query: LoopsFailedEventsQuery = {}): Promise<number> {
    if (!this.background.retryFailed) return Promise.reject(this.onlyWithBullMq('retryFailed'));
    return this.background.retryFailed(query);
  }

  /**
   * Records an event that could not be built (no contact, a failing mapper, an invalid event):
   * a warning in the log and a `dropped` outcome on `deliveries$`.
   */
  reportDropped(eventName: string, reason: Error, source?: string): void {
    this.reporter.dropped(eventName, reason, source);
  }

  /** Stops accepting events and settles the background queue within `shutdownTimeoutMs`. */
  async onApplicationShutdown(): Promise<void> {
    try {
      // Throws only what a refusal's report threw (the app's logger, say), once every handed-over event was queued.
      this.handedOver.drain();
    } finally {
      await this.background.shutdown();
      this.telemetry.shutdown();
      // Only now: the engine's requests in flight held rate-limit slots in Redis until they ended.
      this.redis?.close();
      this.reporter.complete();
    }
  }

  /**
   * `queueEvent` for an engine that acknowledges (BullMQ). An add that got no answer may still land: the event is then
   * handed to `enqueue`, which adds it again until the store answers, so that it is reported once, as delivered or
   * failed, and never `dropped` while it is delivered all the same.
   */
  private async queueAcknowledged(
    event: LoopsEventInput,
    idempotencyKey: string | undefined,
    onRefused: (error: unknown) => void,
  ): Promise<void> {
    let prepared: LoopsPreparedEvent;
    try {
      prepared = this.prepare(event, idempotencyKey);
    } catch (error) {
      return onRefused(error);
    }
    try {
      await this.telemetry.traceEnqueue(prepared, () => this.background.add(prepared));
    } catch (error) {
      if (!(error instanceof LoopsQueueUnavailableError && error.mayHaveBeenQueued)) return onRefused(error);
      try {
        this.background.enqueue(prepared);
      } catch {
        // Shutting down, or the queue is full: what the first add said is what there is to report.
        onRefused(error);
      }
    }
  }

  private queueHandedOver({ event, idempotencyKey, onRefused, traceContext }: HandedOverEvent): void {
    try {
      this.telemetry.withContext(traceContext, () => this.enqueueEvent(event, { idempotencyKey }));
    } catch (error) {
      onRefused(error);
    }
  }

  private prepare(event: SendEventInput | SendEventDto, idempotencyKey: string | undefined): LoopsPreparedEvent {
    const dto = validateSendEvent(event, findIdempotencyKeyIssues(idempotencyKey));
    this.options.catalog?.enforce(dto, this.log.catalogViolations);
    return {
      eventName: dto.eventName,
      idempotencyKey: idempotencyKey ?? randomUuid(),
      keyChosenByCaller: idempotencyKey !== undefined,
      body: buildEventBody(dto),
      // Present from the start, so enqueueing sets them in place instead of growing the object's storage.
      enqueuedAt: undefined,
      traceContext: undefined,
    };
  }

  private onlyWithBullMq(method: string): LoopsConfigurationError {
    return new LoopsConfigurationError(
      'delivery.queue',
      `${method}() needs BullMQ delivery; in-memory delivery keeps no failed events (each one's failed outcome on ` +
        'deliveries$ carries the event, to persist and send again)',
    );
  }
}
