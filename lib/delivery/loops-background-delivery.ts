import type { LoopsFailedEvent, LoopsFailedEventsQuery } from '../interfaces/loops-failed-event.interface';
import type {
  LoopsFailedTransactional,
  LoopsFailedTransactionalQuery,
} from '../interfaces/loops-failed-transactional.interface';
import type { LoopsQueueStatus } from '../interfaces/loops-queue-status.interface';
import type { LoopsPreparedRequest } from './prepared-request';

/**
 * Where `enqueueEvent` puts events and `LoopsTransactionalService.enqueue` transactional emails (`kind` tells them
 * apart; the sender and the reporter handle both). The module binds an in-memory queue, or a BullMQ queue on Redis; bind your own
 * class to this token to keep events elsewhere (pg-boss, SQS...), e.g. `extraProviders: [{ provide:
 * LoopsBackgroundDelivery, useClass: YourQueue }]`. Deliver through the injectable `LoopsSender`, and tell each event's
 * end to the injectable `LoopsDeliveryReporter`, so that `deliveries$` and the logs stay as they are.
 */
export abstract class LoopsBackgroundDelivery {
  /** True when `add` holds an event by the time it returns: the interceptor then doesn't wait for it. */
  abstract readonly takesEventsAtOnce: boolean;
  /** Events taken by this instance and not settled (or not yet held by the store). */
  abstract readonly pending: number;
  /**
   * Takes the event and resolves once it is held. Throws at once when it can't take it (queue full, shutting down);
   * rejects when the store did not take it.
   */
  abstract add(event: LoopsPreparedRequest): Promise<void>;
  /** `add` for callers that don't wait: what goes wrong later is reported as the event's outcome. */
  abstract enqueue(event: LoopsPreparedRequest): void;
  /** Resolves true once everything enqueued before the call has settled, false after `timeoutMs`. */
  abstract flush(timeoutMs?: number): Promise<boolean>;
  /** What the queue holds now; rejects when it can't be read. */
  abstract status(): Promise<LoopsQueueStatus>;
  /** Called once the app's modules are initialised. */
  abstract start(): Promise<void>;
  /** Stops taking events and settles what it holds within `shutdownTimeoutMs`. */
  abstract shutdown(): Promise<void>;
  /** Events whose delivery failed for good and are kept for inspection, when the store keeps them. */
  failedEvents?(query: LoopsFailedEventsQuery): Promise<LoopsFailedEvent[]>;
  /** Queues failed events again with a fresh set of attempts; resolves to how many. */
  retryFailed?(query: LoopsFailedEventsQuery): Promise<number>;
  /** `failedEvents` for transactional emails. */
  failedTransactional?(query: LoopsFailedTransactionalQuery): Promise<LoopsFailedTransactional[]>;
  /** `retryFailed` for transactional emails. */
  retryFailedTransactional?(query: LoopsFailedTransactionalQuery): Promise<number>;
}
