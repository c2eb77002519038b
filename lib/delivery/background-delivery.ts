import type { LoopsDeliveryOutcome } from '../interfaces/loops-delivery-outcome.interface';
import type { PreparedEvent } from './loops-sender';
import type { SendRateLimiter } from './rate-limiter';

/** What a background delivery engine is given by `LoopsEventsService`. */
export interface BackgroundDeliveryHandlers {
  /** Delivers one event (retries included) and reports its outcome; never rejects. */
  deliver(event: PreparedEvent, signal?: AbortSignal): Promise<LoopsDeliveryOutcome>;
  /** Reports an event whose key Loops (or the queue) has already seen delivered: `sent`, deduplicated. */
  reportAlreadyDelivered(event: PreparedEvent): void;
  /** Reports an event that will not be delivered by this instance (log + `failed` outcome). */
  reportFailure(event: PreparedEvent, error: Error, attempts: number): void;
  /** Logs at error level (already masked by the caller when needed). */
  logError(message: string): void;
}

/** Where `enqueueEvent` puts events: in memory (default) or in a BullMQ queue on Redis. */
export interface BackgroundDelivery {
  /**
   * Takes the event. Throws at once when it can't be taken (queue full, shutting down); the promise
   * settles once the event is held: at once in memory, once Redis acknowledged it with BullMQ.
   */
  add(event: PreparedEvent): Promise<void>;
  /** Events taken by this instance and not settled yet. */
  readonly pending: number;
  /** Resolves true once everything enqueued before the call has settled, false after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** The limiter every send must go through, when the engine shares one across instances. */
  readonly sharedRateLimiter?: SendRateLimiter;
  start(): Promise<void>;
  /** Stops taking events and settles what it holds within `shutdownTimeoutMs`. */
  shutdown(): Promise<void>;
}
