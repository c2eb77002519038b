import type { SendEventInput } from '../dto/send-event.dto';

/** Which failed events `failedEvents()` lists and `retryFailed()` queues again. */
export interface LoopsFailedEventsQuery {
  /** Only events with this name. */
  eventName?: string;
  /** Only events that failed before this time, e.g. those of an outage that is over. */
  failedBefore?: Date;
  /** At most this many, oldest failures first. Default: all. */
  limit?: number;
}

/** An event whose delivery failed for good, as the BullMQ failed set keeps it. */
export interface LoopsFailedEvent {
  eventName: string;
  idempotencyKey: string;
  /** The event as it would be sent again. */
  event: SendEventInput;
  /** Why the last attempt failed. */
  reason: string;
  /** Requests made for it. */
  attempts: number;
  failedAt: Date;
}
