import { LoopsShutdownError } from '../errors/loops-shutdown.error';
import type { ResolvedLoopsOptions } from '../loops-options';
import { abortControllerForMany } from '../utils/abort-controller-for-many';
import { settlesWithin } from '../utils/with-timeout';
import type { BackgroundDelivery, BackgroundDeliveryHandlers } from './background-delivery';
import { DeliveryQueue } from './delivery-queue';
import type { PreparedEvent } from './loops-sender';

/**
 * The default engine: a bounded in-process queue. Fast and simple; what it holds is lost if the process
 * dies, which is why shutdown drains it.
 */
export class MemoryBackgroundDelivery implements BackgroundDelivery {
  private readonly queue: DeliveryQueue<PreparedEvent>;
  /** Aborted when shutdown gives up waiting: cuts in-flight attempts short. */
  private readonly shutdownController = abortControllerForMany();

  constructor(
    private readonly options: ResolvedLoopsOptions,
    private readonly handlers: BackgroundDeliveryHandlers,
  ) {
    this.queue = new DeliveryQueue(options.queue.concurrency, options.queue.maxPending, async (event) => {
      await handlers.deliver(event, this.shutdownController.signal);
    });
  }

  get pending(): number {
    return this.queue.pending;
  }

  add(event: PreparedEvent): Promise<void> {
    this.queue.push(event);
    return Promise.resolve();
  }

  flush(timeoutMs?: number): Promise<boolean> {
    return settlesWithin(this.queue.settled(), timeoutMs);
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.queue.close();
    if (await this.flush(this.options.shutdownTimeoutMs)) return;
    const { waiting, inFlight } = this.queue.takeRemaining();
    const lost = [...inFlight, ...waiting];
    this.handlers.logError(
      `${lost.length} Loops event(s) could not be delivered within shutdownTimeoutMs ` +
        `(${this.options.shutdownTimeoutMs} ms): ${summarizeNames(lost)}`,
    );
    const reason = new LoopsShutdownError('The app shut down before this event was delivered');
    for (const event of waiting) this.handlers.reportFailure(event, reason, 0);
    this.shutdownController.abort(reason);
    await this.queue.settled();
  }
}

function summarizeNames(events: PreparedEvent[]): string {
  const counts = new Map<string, number>();
  for (const { eventName } of events) counts.set(eventName, (counts.get(eventName) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${name} (${count})`).join(', ');
}
