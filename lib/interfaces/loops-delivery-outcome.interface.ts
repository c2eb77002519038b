import type { LoopsError } from '../errors/loops.error';

export type LoopsDeliveryStatus = 'sent' | 'failed' | 'dropped';

/** How a background event ended; emitted once per event on `LoopsEventsService.deliveries$`. */
export interface LoopsDeliveryOutcome {
  /** `sent`: Loops accepted it; `failed`: it could not be delivered; `dropped`: it could not even be built. */
  status: LoopsDeliveryStatus;
  eventName: string;
  /** Absent for a `dropped` event, which never got that far. */
  idempotencyKey?: string;
  /** Requests made for it, retries included. */
  attempts: number;
  /** An earlier attempt had been accepted and a retry was answered 409. */
  deduplicated?: boolean;
  dryRun?: boolean;
  /** Why it failed or was dropped. */
  error?: LoopsError | Error;
}
