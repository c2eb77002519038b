import { LoopsShutdownError } from '../errors/loops-shutdown.error';
import type { LoopsQueueStatus } from '../interfaces/loops-queue-status.interface';
import type { ResolvedLoopsOptions } from '../loops-options';
import type { LoopsTelemetry } from '../telemetry/loops-telemetry';
import { abortControllerForMany } from '../utils/abort-controller-for-many';
import { settlesWithin } from '../utils/settles-within';
import { LoopsBackgroundDelivery } from './loops-background-delivery';
import { DeliveryQueue } from './delivery-queue';
import type { LoopsDeliveryReporter } from './loops-delivery-reporter';
import type { LoopsSender } from './loops-sender';
import { type LoopsPreparedRequest, requestName } from './prepared-request';

/**
 * The default engine: a bounded in-process queue. Fast and simple; what it holds is lost if the process
 * dies, which is why shutdown drains it and reports, with its key, each event it could not deliver.
 */
export class MemoryBackgroundDelivery extends LoopsBackgroundDelivery {
  readonly takesEventsAtOnce = true;
  private readonly queue: DeliveryQueue<LoopsPreparedRequest>;
  /** Aborted when shutdown gives up waiting: cuts in-flight attempts short. */
  private readonly shutdownController = abortControllerForMany();

  constructor(
    private readonly options: ResolvedLoopsOptions,
    private readonly sender: LoopsSender,
    private readonly reporter: LoopsDeliveryReporter,
    private readonly telemetry: LoopsTelemetry,
  ) {
    super();
    telemetry.servesEngine('memory');
    this.queue = new DeliveryQueue(options.queue.concurrency, options.queue.maxPending, (event) => this.deliver(event));
  }

  get pending(): number {
    return this.queue.pending;
  }

  add(event: LoopsPreparedRequest): Promise<void> {
    this.queue.push(event);
    return Promise.resolve();
  }

  enqueue(event: LoopsPreparedRequest): void {
    this.queue.push(event);
  }

  flush(timeoutMs?: number): Promise<boolean> {
    return settlesWithin(this.queue.settled(), timeoutMs);
  }

  async start(): Promise<void> {}

  status(): Promise<LoopsQueueStatus> {
    const { waiting, inFlight } = this.queue.counts;
    const oldest = this.queue.oldestWaiting()?.enqueuedAt;
    const oldestWaitingMs = oldest === undefined ? 0 : Math.max(0, Date.now() - oldest);
    return Promise.resolve({ queue: 'memory', waiting, active: inFlight, delayed: 0, failed: 0, oldestWaitingMs });
  }

  async shutdown(): Promise<void> {
    this.queue.close();
    if (await this.flush(this.options.shutdownTimeoutMs)) return;
    const { waiting, inFlight } = this.queue.takeRemaining();
    this.reporter.logError(
      `${waiting.length + inFlight.length} Loops event(s) could not be delivered within shutdownTimeoutMs ` +
        `(${this.options.shutdownTimeoutMs} ms): ${summarizeNames([...inFlight, ...waiting])}`,
    );
    const reason = new LoopsShutdownError('The app shut down before this was delivered');
    for (const event of waiting) this.reporter.failed(event, reason, { attempts: 0, mayHaveBeenAccepted: false });
    this.shutdownController.abort(reason);
    await this.queue.settled();
  }

  private async deliver(event: LoopsPreparedRequest): Promise<void> {
    const { signal } = this.shutdownController;
    // Cut short by shutdown, it is a LoopsShutdownError for the span as for the outcome and its counter.
    const result = await this.telemetry.traceDelivery(event, 'memory', async () => {
      const delivered = await this.sender.deliver(event, signal);
      if (delivered.ok || !signal.aborted) return delivered;
      const cause = delivered.error;
      return {
        ...delivered,
        error: new LoopsShutdownError(
          `The app shut down while this ${event.kind === 'transactional' ? 'email' : 'event'} was being delivered`,
          { cause },
        ),
      };
    });
    if (result.ok)
      return this.reporter.sent(event, {
        attempts: result.attempts,
        deduplicated: result.deduplicated,
        dryRun: result.dryRun,
      });
    result.error.mayHaveBeenAccepted = result.mayHaveBeenAccepted;
    this.reporter.failed(event, result.error, result);
  }
}

function summarizeNames(events: LoopsPreparedRequest[]): string {
  const counts = new Map<string, number>();
  for (const event of events) {
    const name = event.kind === 'transactional' ? `transactional ${requestName(event)}` : requestName(event);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => `${name} (${count})`).join(', ');
}
