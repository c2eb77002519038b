import { LoopsQueueFullError } from '../errors/loops-queue-full.error';
import { LoopsQueueUnavailableError } from '../errors/loops-queue-unavailable.error';
import { LoopsShutdownError } from '../errors/loops-shutdown.error';
import type { ResolvedBullMqDelivery, ResolvedLoopsOptions } from '../loops-options';
import { abortableSleep } from '../utils/abortable-sleep';
import { loadOptionalPeer } from '../utils/load-optional-peer';
import { settlesWithin } from '../utils/with-timeout';
import type { BackgroundDelivery, BackgroundDeliveryHandlers } from './background-delivery';
import type { PreparedEvent } from './loops-sender';
import type { SendRateLimiter } from './rate-limiter';
import { RedisRateLimiter, type RedisScriptClient } from './redis-rate-limiter';

// The few parts of BullMQ and ioredis used here, typed locally: both are optional peers, and the
// published types must not depend on packages a user may not have.
interface BullMqJob {
  data: PreparedEvent;
}
interface BullMqStoredJob {
  getState(): Promise<string>;
  retry(state: 'failed'): Promise<void>;
}
interface BullMqQueue {
  add(name: string, data: PreparedEvent, options: { jobId: string }): Promise<unknown>;
  getJob(jobId: string): Promise<BullMqStoredJob | undefined>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
}
interface BullMqWorker {
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
}
interface BullMqModule {
  Queue: new (name: string, options: Record<string, unknown>) => BullMqQueue;
  Worker: new (
    name: string,
    processor: (job: BullMqJob) => Promise<void>,
    options: Record<string, unknown>,
  ) => BullMqWorker;
}
interface RedisClient extends RedisScriptClient {
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}
interface IoRedisModule {
  Redis: new (options: object) => RedisClient;
}

/** Jobs are kept after completion for Loops' idempotency window, so re-enqueueing a key is a no-op. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };
const FLUSH_POLL_MS = 50;
/** What closing the queue may take past the shutdown budget, before it is abandoned. */
const FORCED_CLOSE_MS = 1_000;

export function createBullMqBackgroundDelivery(
  options: ResolvedLoopsOptions,
  delivery: ResolvedBullMqDelivery,
  handlers: BackgroundDeliveryHandlers,
): BackgroundDelivery {
  const bullmq = loadOptionalPeer<BullMqModule>('bullmq', 'delivery.queue');
  const ioredis = loadOptionalPeer<IoRedisModule>('ioredis', 'delivery.queue');
  return new BullMqBackgroundDelivery(options, delivery, handlers, bullmq, ioredis);
}

/**
 * Events wait as jobs in Redis (the idempotency key names the job) and workers in every instance
 * deliver them through the same sender, sharing one rate limit kept in Redis.
 */
class BullMqBackgroundDelivery implements BackgroundDelivery {
  readonly sharedRateLimiter?: SendRateLimiter;
  private readonly queue: BullMqQueue;
  private readonly redis: RedisClient;
  private worker: BullMqWorker | undefined;
  private readonly adding = new Set<Promise<unknown>>();
  private closed = false;
  /** Jobs this instance's worker is delivering. */
  private active = 0;
  /** Aborted once shutdown is over: stops the polls of any `flush()` still waiting. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly options: ResolvedLoopsOptions,
    private readonly delivery: ResolvedBullMqDelivery,
    private readonly handlers: BackgroundDeliveryHandlers,
    private readonly bullmq: BullMqModule,
    ioredis: IoRedisModule,
  ) {
    this.queue = new bullmq.Queue(delivery.queueName, {
      // Fail fast while Redis is away, instead of holding the command until it comes back.
      connection: this.connection({ enableOfflineQueue: false }),
      prefix: delivery.prefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    });
    this.queue.on('error', (error) => this.logRedisError(error));
    this.redis = isRedisClient(delivery.connection)
      ? (delivery.connection.duplicate() as RedisClient)
      : new ioredis.Redis(this.connection({ maxRetriesPerRequest: 1 }));
    this.redis.on('error', (error) => this.logRedisError(error));
    if (options.requestsPerSecond !== undefined) {
      this.sharedRateLimiter = new RedisRateLimiter(
        this.redis,
        `${delivery.prefix}:${delivery.queueName}`,
        options.requestsPerSecond,
        options.timeoutMs,
      );
    }
  }

  get pending(): number {
    return this.adding.size;
  }

  async start(): Promise<void> {
    const rps = this.options.requestsPerSecond;
    this.worker = new this.bullmq.Worker(this.delivery.queueName, (job) => this.process(job), {
      connection: this.connection({}),
      prefix: this.delivery.prefix,
      concurrency: this.options.queue.concurrency,
      lockDuration: this.delivery.lockDurationMs,
      stalledInterval: this.delivery.lockDurationMs,
      // BullMQ's own limiter paces job pick-up across instances; the Redis limiter above is what
      // keeps every sliding second, retries included, within the limit.
      ...(rps !== undefined && { limiter: { max: Math.max(1, Math.floor(rps)), duration: 1_000 } }),
    });
    this.worker.on('error', (error) => this.logRedisError(error));
  }

  add(event: PreparedEvent): Promise<void> {
    if (this.closed) throw new LoopsShutdownError('The app is shutting down; the Loops queue accepts no more events');
    if (this.adding.size >= this.options.queue.maxPending) throw new LoopsQueueFullError(this.options.queue.maxPending);
    const adding = this.addJob(event);
    this.adding.add(adding);
    void adding.finally(() => this.adding.delete(adding)).catch(() => undefined);
    return adding;
  }

  async flush(timeoutMs?: number): Promise<boolean> {
    const stop = new AbortController();
    const onShutdown = () => stop.abort();
    this.stopped.signal.addEventListener('abort', onShutdown, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(), timeoutMs);
    try {
      return await this.drained(stop.signal);
    } finally {
      clearTimeout(timer);
      this.stopped.signal.removeEventListener('abort', onShutdown);
    }
  }

  /** Bounded by `shutdownTimeoutMs` even while Redis is unreachable: nothing here may hang an app's exit. */
  async shutdown(): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    await settlesWithin(Promise.allSettled(this.adding), remaining());
    if (this.worker && !(await settlesWithin(this.worker.close(), remaining()))) {
      // Not aborted: a job cut short would land in the failed set. Left alone, each either finishes, or
      // its lock lapses when this process exits and another instance delivers it (the key prevents a
      // second send).
      this.handlers.logError(
        `${this.active} Loops deliveries were still in flight after shutdownTimeoutMs (${this.options.shutdownTimeoutMs} ms); ` +
          `if this process exits first, another instance takes their jobs after lockDurationMs (${this.delivery.lockDurationMs} ms)`,
      );
    }
    await settlesWithin(this.queue.close(), Math.max(remaining(), FORCED_CLOSE_MS));
    this.redis.disconnect();
    this.stopped.abort();
  }

  private async addJob(event: PreparedEvent): Promise<void> {
    const timeout = new AbortController();
    const added = this.queueJob(event);
    const timedOut = abortableSleep(this.delivery.enqueueTimeoutMs, timeout.signal).then(() => {
      throw new LoopsQueueUnavailableError(
        `Redis did not take the Loops event within enqueueTimeoutMs (${this.delivery.enqueueTimeoutMs} ms); it was not queued`,
      );
    });
    try {
      await Promise.race([added, timedOut]);
    } catch (error) {
      if (error instanceof LoopsQueueUnavailableError) throw error;
      throw new LoopsQueueUnavailableError(
        `Redis refused the Loops event (${error instanceof Error ? error.message : String(error)}); it was not queued`,
        { cause: error },
      );
    } finally {
      timeout.abort();
      timedOut.catch(() => undefined);
    }
  }

  /**
   * BullMQ ignores a job whose id it already holds. A key whose earlier job failed is tried again; one whose
   * job completed was delivered already and is reported so, rather than vanishing without a word.
   */
  private async queueJob(event: PreparedEvent): Promise<void> {
    const jobId = toJobId(event.idempotencyKey);
    const existing = await this.queue.getJob(jobId);
    if (!existing) {
      await this.queue.add(event.eventName, event, { jobId });
      return;
    }
    const state = await existing.getState();
    if (state === 'failed') await existing.retry('failed');
    else if (state === 'completed') this.handlers.reportAlreadyDelivered(event);
  }

  private async process(job: BullMqJob): Promise<void> {
    this.active++;
    try {
      const outcome = await this.handlers.deliver(job.data);
      // Failing the job keeps it in BullMQ's failed set, with the reason, for inspection and replay.
      if (outcome.status === 'failed') throw outcome.error;
    } finally {
      this.active--;
    }
  }

  /**
   * True once the queue in Redis has nothing waiting, delayed or active; false when `signal` aborts first.
   * Polls, and stops polling when told: a poll left running would keep the process alive.
   */
  private async drained(signal: AbortSignal): Promise<boolean> {
    await Promise.allSettled(this.adding);
    while (!signal.aborted) {
      // While Redis is unreachable the queue can't be seen to be empty (and BullMQ's call may wait for the
      // connection): keep asking until told to stop.
      const counts = await untilAborted(
        this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused'),
        signal,
      ).catch(() => undefined);
      if (counts && Object.values(counts).every((count) => count === 0)) return true;
      await abortableSleep(FLUSH_POLL_MS, signal).catch(() => undefined);
    }
    return false;
  }

  /**
   * The connection options with `extra`, and a retry strategy that gives up once shutdown began:
   * otherwise clients that never reached Redis keep reconnecting and closing them never ends.
   * A client instance given by the app is used as it is; the app owns its lifecycle.
   */
  private connection(extra: Record<string, unknown>): object {
    const { connection } = this.delivery;
    if (isRedisClient(connection)) return connection;
    const appStrategy = (connection as { retryStrategy?: (times: number) => number | null }).retryStrategy;
    const retryStrategy = (times: number) =>
      this.closed ? null : (appStrategy?.(times) ?? Math.min(times * 200, 2_000));
    return { ...connection, ...extra, retryStrategy };
  }

  private logRedisError(error: Error): void {
    this.handlers.logError(`Redis (Loops BullMQ delivery): ${error.message}`);
  }
}

/** `work`'s result, or `undefined` as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** BullMQ job ids may not contain ":" nor be integers; percent-encoding keeps distinct keys distinct. */
function toJobId(idempotencyKey: string): string {
  return `loops-${idempotencyKey.replace(/[%:]/g, (char) => `%${char.charCodeAt(0).toString(16)}`)}`;
}

function isRedisClient(connection: object): connection is { duplicate(): unknown } {
  return typeof (connection as { duplicate?: unknown }).duplicate === 'function';
}
