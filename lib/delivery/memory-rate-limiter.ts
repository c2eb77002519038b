import { LoopsRateLimiter } from './loops-rate-limiter';
import { rateLimitSlots, rateLimitWindowMs } from './rate-limit-pace';

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Clock edges: a server stamping arrivals in whole milliseconds must not see two windows overlap. */
const EDGE_MS = 2;

/**
 * Limits requests to `requestsPerSecond` (rounded down above 1) as seen by a server counting any sliding one-second
 * window.
 *
 * A request holds one of `capacity` slots from the moment it starts until one window after it
 * *finishes*. The server stamps a request's arrival between those two instants, so two requests
 * sharing a slot always arrive more than a window apart, however the network delays them. Times are read from the
 * monotonic clock: a step of the system clock (NTP, a resumed VM) would otherwise free every slot at once, or hold
 * them all for the size of a backward step. The global `performance`, not node:perf_hooks': an app's fake timers
 * replace it together with `setTimeout`, and the two must agree.
 */
export class MemoryRateLimiter extends LoopsRateLimiter {
  private readonly capacity: number;
  private readonly windowMs: number;
  /** When each slot is free again; `Infinity` while its request is in flight. */
  private readonly slots: number[];
  private readonly waiters: Waiter[] = [];
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(requestsPerSecond: number) {
    super();
    this.capacity = rateLimitSlots(requestsPerSecond);
    this.windowMs = rateLimitWindowMs(requestsPerSecond) + EDGE_MS;
    this.slots = new Array<number>(this.capacity).fill(0);
  }

  /** Waits for a slot; call the returned function once the request has finished, whatever its result. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  /** Holds every request back for `ms`, e.g. after Loops said its window is used up. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      const now = performance.now();
      const slot = this.earliestSlot();
      const readyAt = Math.max(this.slots[slot], this.pausedUntil);
      if (readyAt === Infinity) return; // every slot in flight: a release calls schedule()
      if (readyAt > now) {
        this.timer = setTimeout(() => this.schedule(), readyAt - now);
        return;
      }
      const waiter = this.waiters.shift() as Waiter;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.slots[slot] = Infinity;
      waiter.resolve(this.releaser(slot));
    }
  }

  private releaser(slot: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.slots[slot] = performance.now() + this.windowMs;
      this.schedule();
    };
  }

  private earliestSlot(): number {
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) if (this.slots[i] < this.slots[best]) best = i;
    return best;
  }
}
