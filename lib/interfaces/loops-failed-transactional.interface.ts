import type { SendTransactionalInput } from '../dto/send-transactional.dto';

/** Which failed transactional emails `failedEmails()` lists and `retryFailed()` queues again. */
export interface LoopsFailedTransactionalQuery {
  /** Only sends of this transactional email. */
  transactionalId?: string;
  /** Only those that failed before this time, e.g. those of an outage that is over. */
  failedBefore?: Date;
  /** At most this many, oldest failures first. Default: all. */
  limit?: number;
}

/** A transactional email whose delivery failed for good, as the BullMQ failed set keeps it. */
export interface LoopsFailedTransactional {
  transactionalId: string;
  idempotencyKey: string;
  /** What was to be sent, as it would be sent again. */
  transactional: SendTransactionalInput;
  /** Why the last attempt failed. */
  reason: string;
  /** Requests made for it. */
  attempts: number;
  failedAt: Date;
}
