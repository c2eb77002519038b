import { LoopsError } from './loops.error';

/**
 * Redis (BullMQ delivery) did not take the event, or did not answer in time. When `mayHaveBeenQueued` is true the
 * command reached Redis and only its answer is missing: enqueue the event again with `idempotencyKey` to be sure;
 * that never delivers it twice.
 */
export class LoopsQueueUnavailableError extends LoopsError {
  override readonly idempotencyKey?: string;
  readonly mayHaveBeenQueued: boolean;

  constructor(
    message: string,
    details: { idempotencyKey?: string; mayHaveBeenQueued?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.idempotencyKey = details.idempotencyKey;
    this.mayHaveBeenQueued = details.mayHaveBeenQueued ?? false;
  }
}
