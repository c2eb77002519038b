import type { SendEventInput } from '../dto/send-event.dto';
import type { LoopsError } from '../errors/loops.error';

export type LoopsDeliveryStatus = LoopsDeliveryOutcome['status'];

/** Loops has the event. */
export interface LoopsSentOutcome {
  status: 'sent';
  /** Tells event outcomes from transactional ones (`LoopsTransactionalOutcome`) where both are read together. */
  kind: 'event';
  eventName: string;
  idempotencyKey: string;
  /** Requests made for it, retries included; 0 in dry-run mode. */
  attempts: number;
  /**
   * Loops already had it: an earlier attempt was accepted and only its answer was lost, or an earlier request
   * with the key you chose delivered it.
   */
  deduplicated: boolean;
  /** Logged instead of sent (`dryRun: true`). */
  dryRun: boolean;
}

/** The event was not delivered, or not known to be: `error` says why. */
export interface LoopsFailedOutcome {
  status: 'failed';
  kind: 'event';
  eventName: string;
  idempotencyKey: string;
  /** Requests made for it; 0 when none went out. */
  attempts: number;
  error: LoopsError;
  /**
   * An attempt's outcome was unknown (a timeout, a dropped connection, a 5xx, a request cut short at shutdown):
   * Loops may have accepted the event after all. Sending it again with the same key never delivers it twice.
   */
  mayHaveBeenAccepted: boolean;
  /** The event itself, to keep and send again: `enqueueEvent(outcome.event, { idempotencyKey })`. */
  event: SendEventInput;
}

/** The event could not even be built (no contact, a failing mapper, an invalid event); nothing was sent. */
export interface LoopsDroppedOutcome {
  status: 'dropped';
  kind: 'event';
  eventName: string;
  /** What prevented it, for instance a `LoopsValidationError`. */
  error: Error;
}

/** How a background event ended; emitted once per event on `LoopsEventsService.deliveries$`. */
export type LoopsDeliveryOutcome = LoopsSentOutcome | LoopsFailedOutcome | LoopsDroppedOutcome;
