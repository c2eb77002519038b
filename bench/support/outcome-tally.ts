import type { LoopsDeliveryOutcome, LoopsTransactionalOutcome } from 'nestjs-loops';
import type { Observable } from 'rxjs';

export interface OutcomeCounts {
  sent: number;
  failed: number;
  dropped: number;
  deduplicated: number;
  retried: number;
}

export interface OutcomeTally {
  outcomes: OutcomeCounts;
  /** Failures by error name. */
  errors: Record<string, number>;
}

/** Counts the outcomes of `deliveries$` as they come; the returned object fills in over time. */
export function tallyOutcomes(deliveries$: Observable<LoopsDeliveryOutcome | LoopsTransactionalOutcome>): OutcomeTally {
  const tally: OutcomeTally = { outcomes: { sent: 0, failed: 0, dropped: 0, deduplicated: 0, retried: 0 }, errors: {} };
  deliveries$.subscribe((outcome) => {
    tally.outcomes[outcome.status]++;
    if (outcome.status === 'sent' && outcome.deduplicated) tally.outcomes.deduplicated++;
    if (outcome.status !== 'dropped' && outcome.attempts > 1) tally.outcomes.retried++;
    if (outcome.status !== 'sent') tally.errors[outcome.error.name] = (tally.errors[outcome.error.name] ?? 0) + 1;
  });
  return tally;
}
