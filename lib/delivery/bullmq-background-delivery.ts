import type { ConnectionOptions, Job, Queue, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { LoopsError } from '../errors/loops.error';
import { LoopsQueueFullError } from '../errors/loops-queue-full.error';
import { LoopsQueueUnavailableError } from '../errors/loops-queue-unavailable.error';
import { LoopsShutdownError } from '../errors/loops-shutdown.error';
import type { LoopsFailedEvent, LoopsFailedEventsQuery } from '../interfaces/loops-failed-event.interface';
import { readEventBody } from '../loops-event-body';
import type {
  LoopsFailedTransactional,
  LoopsFailedTransactionalQuery,
} from '../interfaces/loops-failed-transactional.interface';
import { readTransactionalBody } from '../transactional/transactional-body';
import type { LoopsQueueStatus } from '../interfaces/loops-queue-status.interface';
import type { ResolvedBullMqDelivery, ResolvedLoopsOptions } from '../loops-options';
import type { LoopsTelemetry } from '../telemetry/loops-telemetry';
import { abortControllerForMany } from '../utils/abort-controller-for-many';
import { abortableSleep } from '../utils/abortable-sleep';
import { loadOptionalPeer } from '../utils/load-optional-peer';
import { maskEmails } from '../utils/mask-email';
import { settlesWithin } from '../utils/settles-within';
import { untilAborted } from '../utils/until-aborted';
import { afterAttempt, type EarlierAttempts, NO_EARLIER_ATTEMPTS } from './attempt-result';
import { LoopsBackgroundDelivery } from './loops-background-delivery';
import { retryDelay } from './backoff';
import type { LoopsDeliveryReporter } from './loops-delivery-reporter';
import type { LoopsSender } from './loops-sender';
import type { LoopsPreparedEvent } from './prepared-event';
import { describeRequest, type LoopsPreparedRequest, requestName } from './prepared-request';
import type { LoopsPreparedTransactional } from './prepared-transactional';
import { rateLimitSlots } from './rate-limit-pace';
import type { RedisClient, RedisConnection } from './redis-connection';

type BullMq = typeof import('bullmq');

/** A job's data: the event (or transactional email), and what its attempts so far (in any instance) have shown. */
type StoredEvent = LoopsPreparedRequest & {
  earlier: EarlierAttempts;
  /** Requests made for it so far. */
  requests: number;
  /** Tells the enqueue call that created the job from the others for the same key. */
  enqueueToken: string;
};

interface JobResult {
  requests: number;
  deduplicated: boolean;
  dryRun: boolean;
}

type LoopsJob = Job<StoredEvent, JobResult>;

/** A job attempt that did not deliver: thrown to BullMQ, which retries it unless `final`. */
class AttemptFailure extends Error {
  constructor(
    readonly loopsError: LoopsError,
    readonly requests: number,
    readonly mayHaveBeenAccepted: boolean,
    readonly final: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(loopsError.message);
    // BullMQ recognises a failure it must not retry by this name.
    if (final) this.name = 'UnrecoverableError';
  }
}

/** The custom backoff type the jobs name, served by the worker's `backoffStrategy`. */
const BACKOFF_TYPE = 'loops';
/** What closing may take past the shutdown budget, before it is abandoned. */
const FORCED_CLOSE_MS = 1_000;
const FLUSH_POLL_MS = 50;
/** Between two tries to get an unacknowledged event into Redis. */
const HOLD_RETRY_MS = 500;
/** Failed jobs read from Redis at a time by `failedEvents()` and `retryFailed()`. */
const FAILED_PAGE = 500;

/**
 * What every add of one event object shares. One token, so that a later add (the interceptor's hand-over to
 * `enqueue`, a held add tried again) finds the job an earlier one made as its own, not as an earlier job for the key.
 * And what the job's first request must assume: once an add may have landed unseen, its job may have been delivered
 * and removed by retention before a later add creates the job again, so a 409 then is this event, delivered.
 */
interface EnqueueRecord {
  token: string;
  earlier: EarlierAttempts;
}

const MAY_HAVE_BEEN_DELIVERED: EarlierAttempts = { made: true, unknown: true };

/** BullMQ keeps a job's stall count in the job's hash, as `stc`. */
const RESET_STALL_COUNT = "return redis.call('HDEL', KEYS[1], 'stc')";

/**
 * Events wait as jobs in Redis, named by their idempotency key, and workers in every instance deliver them. One job
 * attempt is one request: BullMQ's attempts and backoff do the retrying, so a job waiting to be retried holds no
 * worker and no lock, survives restarts, and is taken by whichever instance is alive. At shutdown, requests still in
 * flight are cut short and their jobs go back to waiting untouched, never to the failed set.
 */
export class BullMqBackgroundDelivery extends LoopsBackgroundDelivery {
  readonly takesEventsAtOnce = false;
  private readonly bullmq: BullMq;
  /**
   * The queue and its client (ours, so that its state is known: a command made while it is not ready never left),
   * made on first use: an app whose compile fails after this provider was built must not be left with a connection
   * nothing will close.
   */
  private opened: { queue: Queue<LoopsJob>; client: RedisClient } | undefined;
  private worker: Worker<StoredEvent, JobResult> | undefined;
  /** Adds waiting for Redis, and events `enqueue` holds until Redis acknowledges them. */
  private readonly adding = new Set<Promise<unknown>>();
  private closed = false;
  /** Aborted when shutdown runs out of time: cuts requests in flight and held adds short. */
  private readonly shutdownController = abortControllerForMany();
  /**
   * Jobs this worker has settled whose outcome BullMQ has yet to hand back (it marks a job finished in Redis, then
   * emits the event that reports it), with when: `flush()` waits for them too. One left this long was lost track of.
   */
  private readonly awaitingReport = new Map<string, number>();
  /** One wait for the queue's connection, shared by every add that needs it. */
  private connected: Promise<unknown> | undefined;
  /** Aborted once shutdown is over: stops the polls of any `flush()` still waiting. */
  private readonly stopped = new AbortController();
  /** What the adds of each event object share: see `EnqueueRecord`. */
  private readonly enqueues = new WeakMap<LoopsPreparedRequest, EnqueueRecord>();

  constructor(
    private readonly options: ResolvedLoopsOptions,
    private readonly delivery: ResolvedBullMqDelivery,
    private readonly sender: LoopsSender,
    private readonly reporter: LoopsDeliveryReporter,
    private readonly connection: RedisConnection,
    private readonly telemetry: LoopsTelemetry,
  ) {
    super();
    telemetry.servesEngine('bullmq');
    this.bullmq = loadOptionalPeer<BullMq>('bullmq', 'delivery.queue', ['ioredis']);
  }

  private get queue(): Queue<LoopsJob> {
    return this.open().queue;
  }

  private get queueClient(): RedisClient {
    return this.open().client;
  }

  private open(): { queue: Queue<LoopsJob>; client: RedisClient } {
    if (this.opened) return this.opened;
    const { completed, failed } = this.delivery.retention;
    // Fail fast while Redis is away, instead of holding the command until it comes back.
    const client = this.connection.createClient({ enableOfflineQueue: false });
    client.on('error', () => undefined);
    const queue = new this.bullmq.Queue<LoopsJob>(this.delivery.queueName, {
      // An ioredis client: BullMQ uses it as it is, and leaves closing it to us.
      connection: client as unknown as ConnectionOptions,
      prefix: this.delivery.prefix,
      defaultJobOptions: {
        attempts: this.options.retry.attempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: Math.ceil(completed.maxAgeMs / 1000), count: completed.maxCount },
        removeOnFail: { age: Math.ceil(failed.maxAgeMs / 1000), count: failed.maxCount },
      },
    });
    queue.on('error', (error) => this.logRedisError(error));
    this.opened = { queue, client };
    return this.opened;
  }

  get pending(): number {
    return this.adding.size;
  }

  async start(): Promise<void> {
    if (!this.delivery.worker) return;
    const rps = this.options.requestsPerSecond;
    const worker = new this.bullmq.Worker<StoredEvent, JobResult>(
      this.delivery.queueName,
      (job, token) => this.process(job, token),
      {
        connection: this.connection.options(),
        prefix: this.delivery.prefix,
        concurrency: this.options.queue.concurrency,
        lockDuration: this.delivery.lockDurationMs,
        stalledInterval: this.delivery.lockDurationMs,
        // A job is taken back from a stopped instance at most this many times; each such stop may have been mid-request.
        maxStalledCount: this.options.retry.attempts,
        // BullMQ's own limiter paces job pick-up across instances; the Redis limiter the sender goes through is
        // what keeps every sliding second within the limit.
        ...(rps !== undefined && { limiter: { max: rateLimitSlots(rps), duration: 1_000 } }),
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
            retryDelay(
              attemptsMade,
              { rateLimited: false, retryAfterMs: error instanceof AttemptFailure ? error.retryAfterMs : undefined },
              this.options.retry,
            ),
        },
      },
    );
    worker.on('completed', (job, { requests, deduplicated, dryRun }) => {
      this.awaitingReport.delete(job.id as string);
      this.reporter.sent(job.data, { attempts: requests, deduplicated, dryRun });
    });
    worker.on('failed', (job, error) => {
      if (job) this.awaitingReport.delete(job.id as string);
      this.reportFailure(job, error);
    });
    worker.on('error', (error) => this.logRedisError(error));
    this.worker = worker;
  }

  add(event: LoopsPreparedRequest): Promise<void> {
    this.takeOrThrow();
    return this.track(this.addWithin(event));
  }

  enqueue(event: LoopsPreparedRequest): void {
    this.takeOrThrow();
    void this.track(this.holdUntilQueued(event));
  }

  async flush(timeoutMs?: number): Promise<boolean> {
    // Shut down, the instance reads Redis no more (a shutdown hook of the app's that runs after this one's, say).
    if (this.stopped.signal.aborted) return false;
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

  /**
   * Stops taking events, lets adds and requests in flight finish within `shutdownTimeoutMs`, then cuts them short:
   * their jobs go back to waiting with their attempts intact, for another instance or the next start. Bounded even
   * while Redis is unreachable: nothing here may hang an app's exit.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    // Connections that are up stay up; one that is down stops trying, so that closing it ends.
    this.connection.markClosing();
    const everything = Promise.allSettled([...this.adding, this.worker?.close()]);
    if (!(await settlesWithin(everything, this.options.shutdownTimeoutMs))) {
      this.shutdownController.abort(new LoopsShutdownError('The app is shutting down'));
      if (!(await settlesWithin(everything, FORCED_CLOSE_MS))) {
        this.reporter.logError(
          `Redis did not answer BullMQ's close at shutdown; any Loops delivery this instance had in flight is taken ` +
            `by another instance once its lock lapses (lockDurationMs: ${this.delivery.lockDurationMs} ms)`,
        );
        // The worker's connections are BullMQ's: a close that waits for Redis leaves them (and the process) open.
        if (this.worker) await settlesWithin(this.worker.disconnect(), FORCED_CLOSE_MS);
      }
    }
    if (this.opened) await settlesWithin(this.opened.queue.close(), FORCED_CLOSE_MS);
    this.stopped.abort();
  }

  /** Counts from Redis, which every instance shares; rejects after `enqueueTimeoutMs` without an answer. */
  async status(): Promise<LoopsQueueStatus> {
    const ms = this.delivery.enqueueTimeoutMs;
    const read = Promise.all([
      this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      // Oldest first.
      this.queue.getWaiting(0, 0),
    ]);
    let answer: Awaited<typeof read> | undefined;
    try {
      answer = await resultUnlessAborted(read, AbortSignal.timeout(ms));
    } catch (error) {
      throw new LoopsQueueUnavailableError(`Redis could not be read: ${(error as Error).message}`, { cause: error });
    }
    if (!answer) throw new LoopsQueueUnavailableError(`Redis did not answer within enqueueTimeoutMs (${ms} ms)`);
    const [counts, [oldest]] = answer;
    const enqueuedAt = oldest ? (oldest.data.enqueuedAt ?? oldest.timestamp) : undefined;
    return {
      queue: 'bullmq',
      waiting: counts.waiting + counts.prioritized,
      active: counts.active,
      delayed: counts.delayed,
      failed: counts.failed,
      oldestWaitingMs: enqueuedAt === undefined ? 0 : Math.max(0, Date.now() - enqueuedAt),
    };
  }

  override async failedEvents(query: LoopsFailedEventsQuery): Promise<LoopsFailedEvent[]> {
    const jobs = await this.findFailed(query, eventsMatching(query));
    return jobs.map((job) => ({
      eventName: (job.data as LoopsPreparedEvent).eventName,
      idempotencyKey: job.data.idempotencyKey,
      event: readEventBody(job.data.body),
      reason: job.failedReason,
      attempts: job.data.requests,
      failedAt: new Date(job.finishedOn ?? job.timestamp),
    }));
  }

  override retryFailed(query: LoopsFailedEventsQuery): Promise<number> {
    return this.findFailed(query, eventsMatching(query)).then((jobs) => this.retryJobs(jobs));
  }

  override async failedTransactional(query: LoopsFailedTransactionalQuery): Promise<LoopsFailedTransactional[]> {
    const jobs = await this.findFailed(query, transactionalMatching(query));
    return jobs.map((job) => ({
      transactionalId: (job.data as LoopsPreparedTransactional).transactionalId,
      idempotencyKey: job.data.idempotencyKey,
      transactional: readTransactionalBody(job.data.body),
      reason: job.failedReason,
      attempts: job.data.requests,
      failedAt: new Date(job.finishedOn ?? job.timestamp),
    }));
  }

  override retryFailedTransactional(query: LoopsFailedTransactionalQuery): Promise<number> {
    return this.findFailed(query, transactionalMatching(query)).then((jobs) => this.retryJobs(jobs));
  }

  private async retryJobs(jobs: LoopsJob[]): Promise<number> {
    let retried = 0;
    for (const job of jobs) {
      let moved: boolean;
      try {
        // Another instance may have retried it since it was read: then it is no longer in the failed set.
        moved = await this.retryFailedJob(job, { resetAttemptsMade: true, resetAttemptsStarted: true });
      } catch (error) {
        const message = `Redis did not replay the failed jobs (${retried} of ${jobs.length} replayed, the rest still failed): ${(error as Error).message}`;
        throw new LoopsQueueUnavailableError(message, { cause: error });
      }
      if (moved) retried++;
    }
    return retried;
  }

  private takeOrThrow(): void {
    if (this.closed) throw new LoopsShutdownError('The app is shutting down; the Loops queue accepts no more events');
    if (this.adding.size >= this.options.queue.maxPending) throw new LoopsQueueFullError(this.options.queue.maxPending);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.adding.add(work);
    void work.finally(() => this.adding.delete(work)).catch(() => undefined);
    return work;
  }

  /**
   * Puts the event in Redis and resolves once Redis acknowledged it, waiting for a connection if there is none.
   * Rejects with `LoopsQueueUnavailableError` after `enqueueTimeoutMs` (or at shutdown), saying whether the event
   * may have reached Redis all the same: only a command that left for Redis and got no answer can have.
   */
  private async addWithin(event: LoopsPreparedRequest): Promise<void> {
    const enqueue = this.enqueueOf(event);
    const ms = this.delivery.enqueueTimeoutMs;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), ms);
    const onShutdown = () => stop.abort();
    this.shutdownController.signal.addEventListener('abort', onShutdown, { once: true });
    const writes = { sent: false };
    let lastError: unknown;
    try {
      while (!stop.signal.aborted) {
        if (this.queueClient.status !== 'ready') {
          this.connected ??= once(this.queueClient, 'ready').finally(() => (this.connected = undefined));
          await resultUnlessAborted(this.connected, stop.signal).catch(() => undefined);
          continue;
        }
        // An earlier add that got no answer may have written the job, whatever Redis says to this one.
        const mayBeQueuedAlready = writes.sent || enqueue.earlier === MAY_HAVE_BEEN_DELIVERED;
        try {
          const queued = this.queueJob(event, enqueue, writes, stop.signal).then(() => true);
          if (await resultUnlessAborted(queued, stop.signal)) return;
        } catch (error) {
          // Redis answered, with an error: this add wrote nothing (BullMQ's add script refuses before writing, even
          // a job that exists: out of memory, read-only replica).
          if ((error as Error).name === 'ReplyError')
            throw this.unavailable(event, `Redis refused it (${(error as Error).message})`, mayBeQueuedAlready, error);
          lastError = error;
        }
      }
    } finally {
      clearTimeout(timer);
      this.shutdownController.signal.removeEventListener('abort', onShutdown);
    }
    const why = this.closed
      ? 'the app shut down before Redis acknowledged it'
      : `Redis did not acknowledge it within enqueueTimeoutMs (${ms} ms; connection ${this.queueClient.status})`;
    if (writes.sent) enqueue.earlier = MAY_HAVE_BEEN_DELIVERED;
    throw this.unavailable(event, why, writes.sent, lastError);
  }

  private unavailable(event: LoopsPreparedRequest, why: string, mayHaveBeenQueued: boolean, cause: unknown) {
    const verdict = mayHaveBeenQueued
      ? `it may have been queued: enqueue it again with the same idempotencyKey (${event.idempotencyKey}) to be ` +
        'sure, which never delivers it twice'
      : 'it was not queued';
    return new LoopsQueueUnavailableError(maskEmails(`Loops ${describeRequest(event)}: ${why}; ${verdict}`), {
      idempotencyKey: event.idempotencyKey,
      mayHaveBeenQueued,
      cause,
    });
  }

  private enqueueOf(event: LoopsPreparedRequest): EnqueueRecord {
    let enqueue = this.enqueues.get(event);
    if (enqueue === undefined) {
      enqueue = { token: randomUUID(), earlier: NO_EARLIER_ATTEMPTS };
      this.enqueues.set(event, enqueue);
    }
    return enqueue;
  }

  /**
   * `enqueue` without a caller to tell: an event Redis refused is reported failed at once. One whose add got no
   * answer is not reported either way yet: it is kept and added again (its job id makes that harmless) until Redis
   * acknowledges it, whose outcome is then the delivery's, or until shutdown, when it is reported failed as an
   * event that may have been queued.
   */
  private async holdUntilQueued(event: LoopsPreparedRequest): Promise<void> {
    for (;;) {
      try {
        await this.addWithin(event);
        return;
      } catch (error) {
        const unavailable = error as LoopsQueueUnavailableError;
        if (!unavailable.mayHaveBeenQueued || this.closed) {
          this.reporter.failed(event, unavailable, { attempts: 0, mayHaveBeenAccepted: unavailable.mayHaveBeenQueued });
          return;
        }
        await abortableSleep(HOLD_RETRY_MS, this.shutdownController.signal).catch(() => undefined);
      }
    }
  }

  /**
   * BullMQ adds a job id once, atomically, however many instances try at the same time; the add comes first, so
   * that a Redis that stalls after it leaves an honest "may have been queued". A job that was there before ours
   * (`enqueue.token`, one per event object, tells) stands for this key: if it completed, the event was delivered already and is reported so
   * rather than vanishing without a word; if it failed, it is retried with fresh attempts. Nothing more is written
   * once `signal` aborts: the caller has been told by then.
   */
  private async queueJob(
    event: LoopsPreparedRequest,
    enqueue: EnqueueRecord,
    writes: { sent: boolean },
    signal: AbortSignal,
  ): Promise<void> {
    const jobId = toJobId(event.idempotencyKey);
    if (signal.aborted) return;
    writes.sent = true;
    await this.queue.add(
      requestName(event),
      { ...event, earlier: enqueue.earlier, requests: 0, enqueueToken: enqueue.token },
      { jobId },
    );
    for (;;) {
      const job = await this.queue.getJob(jobId);
      // Gone already: completed and removed by retention in between.
      if (!job || job.data.enqueueToken === enqueue.token) return;
      const state = await job.getState();
      if (state === 'completed') {
        this.reporter.sent(event, { attempts: 0, deduplicated: true, dryRun: false });
        return;
      }
      if (state !== 'failed' || signal.aborted) return;
      // Retried by another instance between the two reads: look again.
      if (await this.retryFailedJob(job, { resetAttemptsMade: true })) return;
    }
  }

  /**
   * A failed job back to waiting with fresh attempts; false when it was no longer failed (another instance retried
   * it). BullMQ's retry keeps the job's stall count, so a job that failed for stalling would fail again at its next
   * stall: the count goes too, while the job is still failed and no worker can take it. A stall is the only record
   * that an instance died mid-request, so it is first written into the job's `earlier`: a 409 then is this event.
   */
  private async retryFailedJob(
    job: LoopsJob,
    reset: { resetAttemptsMade: true; resetAttemptsStarted?: true },
  ): Promise<boolean> {
    if (job.stalledCounter > 0) {
      try {
        await job.updateData({ ...job.data, earlier: MAY_HAVE_BEEN_DELIVERED });
        await this.queueClient.eval(RESET_STALL_COUNT, 1, this.queue.toKey(job.id as string));
      } catch {
        // Left as it is: the count then still says a request may have gone out, and only fails the job sooner.
      }
    }
    try {
      await job.retry('failed', reset);
    } catch (error) {
      // No longer failed (another instance retried it) or gone (retention removed it): nothing to replay. Anything
      // else is Redis failing, which the caller must hear of.
      const { ErrorCode } = this.bullmq;
      const code = (error as { code?: unknown }).code;
      if (code === ErrorCode.JobNotInState || code === ErrorCode.JobNotExist) return false;
      throw error;
    }
    return true;
  }

  private async process(job: LoopsJob, token: string | undefined): Promise<JobResult> {
    const data = job.data;
    // A job taken back from an instance that stopped holding it may have been mid-request; so may an attempt that
    // failed without its request recorded (Redis refused the write): each recorded failed attempt made one request.
    const earlier: EarlierAttempts =
      job.stalledCounter > 0 || job.attemptsMade > data.requests
        ? { ...data.earlier, made: true, unknown: true }
        : data.earlier;
    const signal = this.shutdownController.signal;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const result = await this.telemetry.traceJobAttempt(
      { event: data, requestsBefore: data.requests, last, shutdown: signal },
      () => this.sender.attempt(data, earlier, signal),
    );
    if (result.outcome === 'accepted') {
      this.awaitingReport.set(job.id as string, Date.now());
      const requests = data.requests + (result.dryRun ? 0 : 1);
      return { requests, deduplicated: result.deduplicated, dryRun: result.dryRun === true };
    }
    const sent = result.outcome === 'refused' || result.outcome === 'retryable';
    const requests = data.requests + (sent ? 1 : 0);
    const now = afterAttempt(earlier, result);
    const mayHaveBeenAccepted = now.unknown;
    if (result.outcome !== 'not-sent') result.error.mayHaveBeenAccepted = mayHaveBeenAccepted;
    if (sent || earlier !== data.earlier) await job.updateData({ ...data, earlier: now, requests });
    if (signal.aborted) {
      // Shutdown: back to waiting, attempts untouched, for another instance or the next start.
      await job.moveToWait(token);
      throw new this.bullmq.WaitingError();
    }
    if (result.outcome === 'refused') {
      this.awaitingReport.set(job.id as string, Date.now());
      throw new AttemptFailure(result.error, requests, mayHaveBeenAccepted, true);
    }
    if (result.outcome === 'not-sent' || result.rateLimited) {
      // Loops' rate limit (or Redis, which keeps ours) said not now: the job waits in the delayed set without
      // spending one of its attempts, and the shared limiter holds every instance back meanwhile.
      const failure = {
        rateLimited: true,
        retryAfterMs: result.outcome === 'retryable' ? result.retryAfterMs : undefined,
      };
      await job.moveToDelayed(Date.now() + retryDelay(1, failure, this.options.retry), token);
      throw new this.bullmq.DelayedError();
    }
    if (last) this.awaitingReport.set(job.id as string, Date.now());
    throw new AttemptFailure(result.error, requests, mayHaveBeenAccepted, last, result.retryAfterMs);
  }

  private reportFailure(job: LoopsJob | undefined, error: Error): void {
    if (error instanceof AttemptFailure) {
      if (error.final && job) {
        this.reporter.failed(job.data, error.loopsError, {
          attempts: error.requests,
          mayHaveBeenAccepted: error.mayHaveBeenAccepted,
        });
      }
      return;
    }
    // Any other error fails this attempt only, while the job has attempts left: BullMQ retries it (an attempt that
    // could not write its record to Redis, say), and the outcome is that of a later attempt.
    if (job && job.finishedOn === undefined) {
      this.reporter.logError(`A Loops delivery job's attempt failed and will be retried: ${error.message}`);
      return;
    }
    // BullMQ's own verdict, such as a job taken back from stopped instances more than maxStalledCount times.
    const reason = new LoopsError(`BullMQ failed the job: ${error.message}`, { cause: error });
    if (job) this.reporter.failed(job.data, reason, { attempts: job.data.requests, mayHaveBeenAccepted: true });
    else this.reporter.logError(`A Loops delivery job failed and was removed: ${error.message}`);
  }

  /** The failed jobs `matches` picks, failed before `query.failedBefore`, oldest first, at most `query.limit`. */
  private async findFailed(
    query: Pick<LoopsFailedEventsQuery, 'failedBefore' | 'limit'>,
    matches: (data: StoredEvent) => boolean,
  ): Promise<LoopsJob[]> {
    const found: LoopsJob[] = [];
    const limit = query.limit ?? Infinity;
    const failedBefore = query.failedBefore?.getTime() ?? Infinity;
    for (let start = 0; found.length < limit; start += FAILED_PAGE) {
      // Newest first in Redis: read them all, then keep the oldest.
      const page = await this.queue.getFailed(start, start + FAILED_PAGE - 1);
      for (const job of page) {
        if (!matches(job.data)) continue;
        if ((job.finishedOn ?? job.timestamp) >= failedBefore) continue;
        found.push(job);
      }
      if (page.length < FAILED_PAGE) break;
    }
    found.sort((a, b) => (a.finishedOn ?? a.timestamp) - (b.finishedOn ?? b.timestamp));
    return found.slice(0, limit);
  }

  /**
   * True once the queue in Redis has nothing waiting, delayed or active; false when `signal` aborts first.
   * Polls, and stops polling when told: a poll left running would keep the process alive.
   */
  private async drained(signal: AbortSignal): Promise<boolean> {
    // An add held through a Redis that answers nothing stays here until Redis answers: the signal still ends the wait.
    await resultUnlessAborted(Promise.allSettled(this.adding), signal);
    while (!signal.aborted) {
      // While Redis is unreachable the queue can't be seen to be empty (and BullMQ's call may wait for the
      // connection): keep asking until told to stop.
      const counts = await resultUnlessAborted(
        this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
        signal,
      ).catch(() => undefined);
      if (counts && Object.values(counts).every((count) => count === 0) && !this.reportsPending()) return true;
      await abortableSleep(FLUSH_POLL_MS, signal).catch(() => undefined);
    }
    return false;
  }

  private reportsPending(): boolean {
    const lostTrackBefore = Date.now() - this.delivery.lockDurationMs;
    for (const [jobId, since] of this.awaitingReport) {
      if (since >= lostTrackBefore) return true;
      this.awaitingReport.delete(jobId);
    }
    return false;
  }

  private logRedisError(error: Error): void {
    this.reporter.logError(`Redis (Loops BullMQ delivery): ${error.message}`);
  }
}

/** Events and transactional emails share the failed set; each service's query lists its own kind. */
function eventsMatching(query: LoopsFailedEventsQuery): (data: StoredEvent) => boolean {
  return (data) =>
    data.kind !== 'transactional' && (query.eventName === undefined || data.eventName === query.eventName);
}

function transactionalMatching(query: LoopsFailedTransactionalQuery): (data: StoredEvent) => boolean {
  return (data) =>
    data.kind === 'transactional' &&
    (query.transactionalId === undefined || data.transactionalId === query.transactionalId);
}

/** `work`'s result, or `undefined` as soon as `signal` aborts; what `work` throws is thrown. */
function resultUnlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return untilAborted(work, signal).catch((error: unknown) => {
    if (signal.aborted && error === signal.reason) return undefined;
    throw error;
  });
}

/** BullMQ job ids may not contain ":" nor be integers; percent-encoding keeps distinct keys distinct. */
function toJobId(idempotencyKey: string): string {
  return `loops-${idempotencyKey.replace(/[%:]/g, (char) => `%${char.charCodeAt(0).toString(16)}`)}`;
}
