/**
 * Part 4, memory, in a fresh child process run with --expose-gc, against a Loops server (in its own process) that
 * holds every request far longer than the run: the queue fills up to `maxPending` and nothing leaves it. A few
 * events are queued first, so that code, metadata caches and the in-flight requests are in the baseline; the
 * growth is then measured over the rest, after full garbage collections.
 */
import 'reflect-metadata';
import { LoopsEventsService, LoopsModule } from 'nestjs-loops';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { BENCH_API_KEY, typicalEvent, typicalEventBody } from '../support/workload';

export interface MemoryInput {
  baseUrl: string;
  maxPending: number;
  warmupEvents: number;
}

export interface MemoryOutput {
  measuredEvents: number;
  pendingAtEnd: number;
  /** What `enqueueEvent` threw once `maxPending` events were pending. */
  overflowError: string;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
  heapBytesPerEvent: number;
  rssBytesPerEvent: number;
  /** Bytes of the event's JSON body, for scale. */
  wireBodyBytes: number;
}

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage();
}

async function run(input: MemoryInput): Promise<MemoryOutput> {
  const app = await createLoopsApp(LoopsModule, {
    apiKey: BENCH_API_KEY,
    baseUrl: input.baseUrl,
    rateLimit: false,
    retry: false,
    // Longer than the run: the in-flight requests neither time out nor retry while memory is measured.
    timeoutMs: 600_000,
    queue: { maxPending: input.maxPending },
    shutdownTimeoutMs: 0,
  });
  const loops = app.get(LoopsEventsService);

  let i = 0;
  for (; i < input.warmupEvents; i++) loops.enqueueEvent(typicalEvent(i));
  await sleep(300); // the first `concurrency` events are now in flight, their sockets open
  const before = await settledMemory();
  for (; i < input.maxPending; i++) loops.enqueueEvent(typicalEvent(i));
  const after = await settledMemory();

  let overflowError = 'none';
  try {
    loops.enqueueEvent(typicalEvent(i));
  } catch (error) {
    overflowError = error instanceof Error ? error.name : String(error);
  }
  const measuredEvents = input.maxPending - input.warmupEvents;
  return {
    measuredEvents,
    pendingAtEnd: loops.pendingCount,
    overflowError,
    before,
    after,
    heapBytesPerEvent: (after.heapUsed - before.heapUsed) / measuredEvents,
    rssBytesPerEvent: (after.rss - before.rss) / measuredEvents,
    wireBodyBytes: Buffer.byteLength(JSON.stringify(typicalEventBody(1))),
  };
}

serveTask(run);
