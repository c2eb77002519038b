import { Inject, Injectable } from '@nestjs/common';
import { filter, type Observable } from 'rxjs';
import { LoopsBackgroundDelivery } from '../delivery/loops-background-delivery';
import { LoopsDeliveryReporter } from '../delivery/loops-delivery-reporter';
import { LoopsSender } from '../delivery/loops-sender';
import type { LoopsPreparedTransactional } from '../delivery/prepared-transactional';
import { LoopsAwaitedSends } from '../delivery/awaited-sends';
import type { SendTransactionalDto, SendTransactionalInput } from '../dto/send-transactional.dto';
import { findIdempotencyKeyIssues } from '../dto/validate-send-event';
import { validateSendTransactional } from '../dto/validate-send-transactional';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import type {
  LoopsFailedTransactional,
  LoopsFailedTransactionalQuery,
} from '../interfaces/loops-failed-transactional.interface';
import type { LoopsSendResult, SendEventOptions } from '../interfaces/loops-send-result.interface';
import type { LoopsTransactionalOutcome } from '../interfaces/loops-transactional-outcome.interface';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LoopsTelemetry } from '../telemetry/loops-telemetry';
import { randomUuid } from '../utils/random-uuid';
import { buildTransactionalBody } from './transactional-body';

/**
 * Sends transactional emails (`POST /v1/transactional`), awaited (`send`) or in the background (`enqueue`), through
 * the engine, rate limiter and retries that carry events: one limit for the whole team, an idempotency key on every
 * send, outcomes on `deliveries$`.
 */
@Injectable()
export class LoopsTransactionalService {
  /** How each background transactional email ended. */
  readonly deliveries$: Observable<LoopsTransactionalOutcome>;

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly sender: LoopsSender,
    private readonly awaited: LoopsAwaitedSends,
    private readonly background: LoopsBackgroundDelivery,
    private readonly telemetry: LoopsTelemetry,
    reporter: LoopsDeliveryReporter,
  ) {
    this.deliveries$ = reporter.outcomes$.pipe(filter((outcome) => outcome.kind === 'transactional'));
  }

  /**
   * Validates the email, then sends it and waits until Loops accepted it, retrying as configured. When Loops already
   * has a send with the key you chose, it resolves with `deduplicated: true`.
   * @throws LoopsValidationError before any request when the input breaks a rule.
   * @throws LoopsTransactionalError (or LoopsTransactionalNotFoundError, LoopsTransactionalDataVariablesError) when
   * Loops refused it, saying what to fix; other LoopsApiErrors and LoopsNetworkError as `sendEvent` does.
   */
  async send(
    input: SendTransactionalInput | SendTransactionalDto,
    options: SendEventOptions = {},
  ): Promise<LoopsSendResult> {
    const prepared = this.prepare(input, options.idempotencyKey);
    const { attempts, deduplicated, dryRun } = await this.awaited.run(
      options.signal,
      'accept the transactional email',
      prepared.idempotencyKey,
      (signal, giveUpAt) =>
        this.telemetry.traceDelivery(prepared, 'awaited', () => this.sender.deliver(prepared, signal, giveUpAt)),
    );
    return { success: true, idempotencyKey: prepared.idempotencyKey, attempts, deduplicated, dryRun };
  }

  /**
   * Validates the email at once and queues it for background delivery; returns its idempotency key. The outcome
   * arrives on `deliveries$` (and in the log when it fails).
   * @throws LoopsValidationError, LoopsQueueFullError, LoopsShutdownError as `enqueueEvent` does.
   */
  enqueue(
    input: SendTransactionalInput | SendTransactionalDto,
    options: Pick<SendEventOptions, 'idempotencyKey'> = {},
  ): string {
    const prepared = this.prepare(input, options.idempotencyKey);
    this.telemetry.traceEnqueue(prepared, () => this.background.enqueue(prepared));
    return prepared.idempotencyKey;
  }

  /**
   * `enqueue` that resolves once the queue holds the email: at once in memory, once Redis acknowledged the job with
   * BullMQ; rejects with `LoopsQueueUnavailableError` as `enqueueEventAsync` does.
   */
  async enqueueAsync(
    input: SendTransactionalInput | SendTransactionalDto,
    options: Pick<SendEventOptions, 'idempotencyKey'> = {},
  ): Promise<string> {
    const prepared = this.prepare(input, options.idempotencyKey);
    await this.telemetry.traceEnqueue(prepared, () => this.background.add(prepared));
    return prepared.idempotencyKey;
  }

  /**
   * BullMQ delivery: the transactional emails whose delivery failed for good, oldest first.
   * @throws LoopsConfigurationError with in-memory delivery, which keeps none.
   */
  failedEmails(query: LoopsFailedTransactionalQuery = {}): Promise<LoopsFailedTransactional[]> {
    if (!this.background.failedTransactional) return Promise.reject(onlyWithBullMq('failedEmails'));
    return this.background.failedTransactional(query);
  }

  /**
   * BullMQ delivery: queues failed transactional emails again, each with fresh attempts and its own key (so one
   * Loops sent after all is not sent twice). Resolves to how many were queued.
   * @throws LoopsConfigurationError with in-memory delivery.
   * @throws LoopsQueueUnavailableError when Redis fails during the replay; its message says how many were queued.
   */
  retryFailed(query: LoopsFailedTransactionalQuery = {}): Promise<number> {
    if (!this.background.retryFailedTransactional) return Promise.reject(onlyWithBullMq('retryFailed'));
    return this.background.retryFailedTransactional(query);
  }

  private prepare(
    input: SendTransactionalInput | SendTransactionalDto,
    idempotencyKey: string | undefined,
  ): LoopsPreparedTransactional {
    const valid = validateSendTransactional(input, findIdempotencyKeyIssues(idempotencyKey));
    return {
      kind: 'transactional',
      transactionalId: valid.transactionalId,
      idempotencyKey: idempotencyKey ?? randomUuid(),
      keyChosenByCaller: idempotencyKey !== undefined,
      body: buildTransactionalBody(valid),
    };
  }
}

function onlyWithBullMq(method: string): LoopsConfigurationError {
  return new LoopsConfigurationError(
    'delivery.queue',
    `${method}() needs BullMQ delivery; in-memory delivery keeps no failed emails (each one's failed outcome on ` +
      'deliveries$ carries what was to be sent, to persist and send again)',
  );
}
