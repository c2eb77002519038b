import type { LoopsQueueStatus } from '../interfaces/loops-queue-status.interface';
import type { LoopsFailedEvent, LoopsFailedEventsQuery } from '../interfaces/loops-failed-event.interface';
import type { PreparedEvent } from './prepared-event';

/** Where `enqueueEvent` puts events: in memory (default) or in a BullMQ queue on Redis. */
export interface BackgroundDelivery {
  /**
   * Takes the event and resolves once it is held: at once in memory, once Redis acknowledged it with BullMQ.
   * Throws at once when it can't take it (queue full, shutting down); rejects when the store did not take it.
   */
  add(event: PreparedEvent): Promise<void>;
  /** `add` for callers that don't wait: what goes wrong later is reported as the event's outcome. */
  enqueue(event: PreparedEvent): void;
  /** Events taken by this instance and not settled (or, with BullMQ, not yet acknowledged by Redis). */
  readonly pending: number;
  /** Resolves true once everything enqueued before the call has settled, false after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<boolean>;
  start(): Promise<void>;
  /** What the queue holds now; rejects when it can't be read (Redis unreachable). */
  status(): Promise<LoopsQueueStatus>;
  /** Stops taking events and settles what it holds within `shutdownTimeoutMs`. */
  shutdown(): Promise<void>;
  /** Events whose delivery failed for good and are kept for inspection (BullMQ only). */
  failedEvents?(query: LoopsFailedEventsQuery): Promise<LoopsFailedEvent[]>;
  /** Queues failed events again with a fresh set of attempts; resolves to how many (BullMQ only). */
  retryFailed?(query: LoopsFailedEventsQuery): Promise<number>;
}
