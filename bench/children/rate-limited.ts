/**
 * Part 3, rate-limited delivery, in a child process of its own (the rate-limited Loops server has another).
 * `library`: every event enqueued at once with `rateLimit: { requestsPerSecond }`, then `flush()`; returns the
 * keys enqueued so that the parent can hold them against the keys the server accepted.
 * `sdk`: the official SDK in a naive loop, `Promise.allSettled` of every send at once.
 */
import 'reflect-metadata';
import { LoopsClient } from 'loops';
import { randomUUID } from 'node:crypto';
import { LoopsEventsService, LoopsModule } from 'nestjs-loops';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { type OutcomeCounts, tallyOutcomes } from '../support/outcome-tally';
import { BENCH_API_KEY, typicalEvent } from '../support/workload';

export interface RateLimitedInput {
  mode: 'library' | 'sdk';
  url: string;
  baseUrl: string;
  events: number;
  requestsPerSecond: number;
}

export interface RateLimitedOutput {
  wallMs: number;
  /** library: the keys `enqueueEvent` returned. */
  keys?: string[];
  /** library: `deliveries$` outcomes; sdk: fulfilled (`sent`) and rejected (`failed`) sends. */
  outcomes: OutcomeCounts;
  /** Failures by error name. */
  errors: Record<string, number>;
}

async function runLibrary(input: RateLimitedInput): Promise<RateLimitedOutput> {
  const app = await createLoopsApp(LoopsModule, {
    apiKey: BENCH_API_KEY,
    baseUrl: input.baseUrl,
    rateLimit: { requestsPerSecond: input.requestsPerSecond },
    queue: { maxPending: input.events * 2 },
  });
  const loops = app.get(LoopsEventsService);
  const { outcomes, errors } = tallyOutcomes(loops.deliveries$);

  const start = performance.now();
  const keys: string[] = [];
  for (let i = 0; i < input.events; i++) keys.push(loops.enqueueEvent(typicalEvent(i)));
  await loops.flush();
  return { wallMs: performance.now() - start, keys, outcomes, errors };
}

async function runSdk(input: RateLimitedInput): Promise<RateLimitedOutput> {
  const sdk = new LoopsClient(BENCH_API_KEY);
  sdk.apiRoot = `${input.url}/api/`;
  const start = performance.now();
  const settled = await Promise.allSettled(
    Array.from({ length: input.events }, (_, i) =>
      sdk.sendEvent({ ...typicalEvent(i), headers: { 'Idempotency-Key': randomUUID() } }),
    ),
  );
  const wallMs = performance.now() - start;
  const errors: Record<string, number> = {};
  for (const outcome of settled) {
    if (outcome.status === 'rejected') {
      const name = outcome.reason instanceof Error ? outcome.reason.name : 'unknown';
      errors[name] = (errors[name] ?? 0) + 1;
    }
  }
  const failed = settled.filter((outcome) => outcome.status === 'rejected').length;
  return {
    wallMs,
    outcomes: { sent: settled.length - failed, failed, dropped: 0, deduplicated: 0, retried: 0 },
    errors,
  };
}

serveTask((input: RateLimitedInput) => (input.mode === 'library' ? runLibrary(input) : runSdk(input)));
