/**
 * Part 6, BullMQ delivery: one app instance of several, in a child process of its own (the other instances, Redis
 * and the rate-limited Loops server have theirs). On `run` it starts the app (BullMQ delivery on the shared queue,
 * the shared Redis rate limit) and answers `ready`; on `go`, sent to every instance at once, it enqueues its share
 * of the events at once with `enqueueEventAsync`, notes when Redis has acknowledged them all, then waits for
 * `flush()` (the shared queue empty, whichever instance delivered). Times are epoch milliseconds
 * (`performance.timeOrigin + performance.now()`), so that the parent can line the instances up.
 */
import 'reflect-metadata';
import { LoopsEventsService, LoopsModule } from 'nestjs-loops';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { type OutcomeCounts, tallyOutcomes } from '../support/outcome-tally';
import { BENCH_API_KEY, typicalEvent } from '../support/workload';

export interface BullMqInstanceInput {
  baseUrl: string;
  redis: { host: string; port: number };
  queueName: string;
  requestsPerSecond: number;
  concurrency: number;
  /** This instance enqueues `typicalEvent(firstEvent)` to `typicalEvent(firstEvent + events - 1)`. */
  firstEvent: number;
  events: number;
}

export interface BullMqInstanceOutput {
  /** When `go` arrived and the first event was enqueued. */
  startedAt: number;
  /** When Redis had acknowledged every event (`enqueueEventAsync` resolved for all). */
  enqueuedAt: number;
  /** When `flush()` resolved. */
  flushedAt: number;
  /** The keys `enqueueEventAsync` resolved with. */
  keys: string[];
  /** `enqueueEventAsync` calls that rejected, by error name. */
  enqueueErrors: Record<string, number>;
  /** `deliveries$` outcomes of the deliveries this instance's worker made (any instance's events). */
  outcomes: OutcomeCounts;
  /** Failed deliveries by error name. */
  errors: Record<string, number>;
}

const now = (): number => performance.timeOrigin + performance.now();

function nextGo(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }): void => {
      if (message?.type !== 'go') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
}

async function runInstance(input: BullMqInstanceInput): Promise<BullMqInstanceOutput> {
  const app = await createLoopsApp(LoopsModule, {
    apiKey: BENCH_API_KEY,
    baseUrl: input.baseUrl,
    rateLimit: { requestsPerSecond: input.requestsPerSecond },
    queue: { concurrency: input.concurrency },
    delivery: { queue: 'bullmq', connection: input.redis, queueName: input.queueName },
  });
  const loops = app.get(LoopsEventsService);
  const { outcomes, errors } = tallyOutcomes(loops.deliveries$);

  const go = nextGo();
  process.send?.({ type: 'ready' });
  await go;

  const startedAt = now();
  const enqueueErrors: Record<string, number> = {};
  const settled = await Promise.allSettled(
    Array.from({ length: input.events }, (_, i) => loops.enqueueEventAsync(typicalEvent(input.firstEvent + i))),
  );
  const enqueuedAt = now();
  const keys: string[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') keys.push(outcome.value);
    else {
      const name = outcome.reason instanceof Error ? outcome.reason.name : 'unknown';
      enqueueErrors[name] = (enqueueErrors[name] ?? 0) + 1;
    }
  }
  await loops.flush();
  return { startedAt, enqueuedAt, flushedAt: now(), keys, enqueueErrors, outcomes, errors };
}

serveTask(runInstance);
