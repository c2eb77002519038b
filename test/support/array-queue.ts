import { Injectable } from '@nestjs/common';
import {
  LoopsBackgroundDelivery,
  LoopsDeliveryReporter,
  type LoopsPreparedEvent,
  type LoopsQueueStatus,
  LoopsSender,
} from '../../lib';

/** A queue of the app's own: an array, delivered one at a time through the module's sender. */
@Injectable()
export class ArrayQueue extends LoopsBackgroundDelivery {
  readonly takesEventsAtOnce = true;
  readonly taken: LoopsPreparedEvent[] = [];
  private delivering = Promise.resolve();
  private count = 0;

  constructor(
    private readonly sender: LoopsSender,
    private readonly reporter: LoopsDeliveryReporter,
  ) {
    super();
  }

  get pending(): number {
    return this.count;
  }

  add(event: LoopsPreparedEvent): Promise<void> {
    this.enqueue(event);
    return Promise.resolve();
  }

  enqueue(event: LoopsPreparedEvent): void {
    this.taken.push(event);
    this.count++;
    this.delivering = this.delivering.then(async () => {
      const result = await this.sender.deliver(event);
      if (result.ok) this.reporter.sent(event, result);
      else this.reporter.failed(event, result.error, result);
      this.count--;
    });
  }

  async flush(): Promise<boolean> {
    await this.delivering;
    return true;
  }

  async status(): Promise<LoopsQueueStatus> {
    return { queue: 'custom', waiting: this.count, active: 0, delayed: 0, failed: 0, oldestWaitingMs: 0 };
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {
    await this.delivering;
  }
}
