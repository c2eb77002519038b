import type { SendTransactionalInput } from '../dto/send-transactional.dto';
import type { LoopsError } from '../errors/loops.error';

/** Loops has the transactional email. */
export interface LoopsTransactionalSentOutcome {
  status: 'sent';
  kind: 'transactional';
  transactionalId: string;
  idempotencyKey: string;
  /** Requests made for it, retries included; 0 in dry-run mode. */
  attempts: number;
  /** Loops already had it: an earlier attempt was accepted with its answer lost, or your key's request delivered it. */
  deduplicated: boolean;
  /** Logged instead of sent (`dryRun: true`). */
  dryRun: boolean;
}

/** The transactional email was not sent, or not known to be: `error` says why. */
export interface LoopsTransactionalFailedOutcome {
  status: 'failed';
  kind: 'transactional';
  transactionalId: string;
  idempotencyKey: string;
  /** Requests made for it; 0 when none went out. */
  attempts: number;
  error: LoopsError;
  /** An attempt's outcome was unknown: Loops may have sent it after all. Sending again with the same key never sends twice. */
  mayHaveBeenAccepted: boolean;
  /** What was to be sent, to keep and send again: `enqueue(outcome.transactional, { idempotencyKey })`. */
  transactional: SendTransactionalInput;
}

/** How a background transactional email ended; emitted once per email on `LoopsTransactionalService.deliveries$`. */
export type LoopsTransactionalOutcome = LoopsTransactionalSentOutcome | LoopsTransactionalFailedOutcome;
