import { LoopsQueueFullError } from '../errors/loops-queue-full.error';
import { LoopsShutdownError } from '../errors/loops-shutdown.error';

interface FlushWaiter {
  upTo: number;
  resolve: () => void;
}

/**
 * A bounded FIFO worked off by at most `concurrency` workers. `pending` counts items waiting and in
 * flight; `push` throws once it reaches `maxPending` instead of growing without bound.
 */
export class DeliveryQueue<T> {
  /**
   * Items are numbered in push order and leave `waiting` in that order, so an item's number is implied by its
   * position (`taken + 1` for the oldest): none is stored beside it, which keeps a long queue small.
   */
  private readonly waiting: T[] = [];
  private head = 0;
  /** Items that have left `waiting`, started or taken away. */
  private taken = 0;
  private readonly inFlight = new Map<number, T>();
  private nextSeq = 1;
  private flushWaiters: FlushWaiter[] = [];
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly maxPending: number,
    private readonly worker: (item: T) => Promise<void>,
  ) {}

  get pending(): number {
    return this.waiting.length - this.head + this.inFlight.size;
  }

  /** Items not started yet, and items being worked on. */
  get counts(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.length - this.head, inFlight: this.inFlight.size };
  }

  /** The item that has waited longest and is not started yet. */
  oldestWaiting(): T | undefined {
    return this.head < this.waiting.length ? this.waiting[this.head] : undefined;
  }

  push(item: T): void {
    if (this.closed) throw new LoopsShutdownError('The app is shutting down; the Loops queue accepts no more events');
    if (this.pending >= this.maxPending) throw new LoopsQueueFullError(this.maxPending);
    this.waiting.push(item);
    this.nextSeq++;
    this.pump();
  }

  /** Resolves once every item pushed before the call has been worked off. */
  settled(): Promise<void> {
    const upTo = this.nextSeq - 1;
    if (this.oldestUnsettled() > upTo) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ upTo, resolve }));
  }

  /** Refuses further pushes; the items already in stay and keep being worked off. */
  close(): void {
    this.closed = true;
  }

  /** Removes and returns the items not started yet, and lists those in flight. */
  takeRemaining(): { waiting: T[]; inFlight: T[] } {
    const waiting = this.waiting.slice(this.head);
    this.taken += waiting.length;
    this.waiting.length = 0;
    this.head = 0;
    return { waiting, inFlight: [...this.inFlight.values()] };
  }

  private pump(): void {
    while (this.inFlight.size < this.concurrency && this.head < this.waiting.length) {
      const item = this.waiting[this.head++];
      const seq = ++this.taken;
      this.compact();
      this.inFlight.set(seq, item);
      void this.run(seq, item);
    }
  }

  private async run(seq: number, item: T): Promise<void> {
    try {
      await this.worker(item);
    } finally {
      this.inFlight.delete(seq);
      this.pump();
      this.notifyFlushWaiters();
    }
  }

  /** Drops consumed entries from the front now and then, so a long-lived queue doesn't keep them. */
  private compact(): void {
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }

  private oldestUnsettled(): number {
    let oldest = this.head < this.waiting.length ? this.taken + 1 : Infinity;
    for (const seq of this.inFlight.keys()) oldest = Math.min(oldest, seq);
    return oldest;
  }

  private notifyFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    const oldest = this.oldestUnsettled();
    this.flushWaiters = this.flushWaiters.filter((waiter) => {
      if (waiter.upTo >= oldest) return true;
      waiter.resolve();
      return false;
    });
  }
}
