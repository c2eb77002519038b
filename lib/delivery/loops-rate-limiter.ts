/**
 * Paces the requests the module makes to Loops: every request holds a slot from `acquire` until it calls the
 * release. The module binds one (in memory, or shared by every instance through Redis with BullMQ delivery); bind
 * your own class to this token, e.g. `extraProviders: [{ provide: LoopsRateLimiter, useClass: YourLimiter }]`.
 */
export abstract class LoopsRateLimiter {
  /** Waits for a slot, and rejects with the signal's reason if it aborts first. Call the returned release once. */
  abstract acquire(signal?: AbortSignal): Promise<() => void>;
  /** Holds every request back for `ms`, e.g. after Loops said its window is used up. */
  abstract pauseFor(ms: number): void;
}
