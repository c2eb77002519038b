/**
 * Part 6, BullMQ delivery with several app instances. Processes: one `redis-server` (test/support/redis-server.ts,
 * started here), the Loops-compatible server limited to R requests per sliding second, and one child per app
 * instance (`children/bullmq-instance.ts`), all on the same queue and the same shared rate limit of R/s. Every
 * instance starts its app first; then all are told to go at once, and each enqueues its share of the events at
 * once with `enqueueEventAsync` and waits for `flush()`. Without `redis-server` the part is skipped, not failed.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { RedisTestServer } from '../../test/support/redis-server';
import type { BullMqInstanceInput, BullMqInstanceOutput } from '../children/bullmq-instance';
import { forkChild, LoopsServerProcess, nextMessage, stopChild } from '../support/processes';
import { round } from '../support/stats';

export interface BullMqDeliverySettings {
  requestsPerSecond: number;
  /** Events in all, split evenly between the instances. */
  events: number;
  instances: number;
  /** `queue.concurrency` of each instance's worker. */
  concurrency: number;
}

export interface BullMqDeliveryMeasured {
  settings: BullMqDeliverySettings;
  /** Events/s from the first `go` until Redis had acknowledged every event of every instance. */
  enqueuePerSecond: number;
  enqueueMs: number;
  /** From the first `go` until the last instance's `flush()` resolved. */
  wallMs: number;
  /** events / R. */
  idealMs: number;
  /** wall / ideal. */
  wallToIdeal: number;
  /** Events the server accepted per second of wall time. */
  deliveredPerSecond: number;
  /** Requests the server answered 429. */
  rateLimited: number;
  /** Enqueued keys the server never accepted. */
  lost: number;
  /**
   * Accepted keys the client never enqueued: a second delivery of an event. The server answers 409 to a key it
   * already has, so a copy can only get in under another key; keys accepted twice would always be 0.
   */
  duplicated: number;
  /** Requests answered 409: a key sent again after it had been accepted (the server refuses the copy). */
  resentAfterAccepted: number;
  /** The most events/send requests the server received in any sliding 1 s window. */
  maxInAnyWindow: number;
  requests: number;
  statuses: Record<string, number>;
  /** `enqueueEventAsync` calls that rejected, over all instances. */
  enqueueFailed: number;
  perInstance: {
    enqueueMs: number;
    enqueuePerSecond: number;
    /** Deliveries this instance's worker made, whichever instance enqueued them. */
    outcomes: BullMqInstanceOutput['outcomes'];
    enqueueErrors: Record<string, number>;
    errors: Record<string, number>;
  }[];
}

export type BullMqDeliveryResult = BullMqDeliveryMeasured | { settings: BullMqDeliverySettings; skipped: string };

/** Starts one instance's child and resolves once its app is up; the caller sends `go`. */
async function startInstance(input: BullMqInstanceInput): Promise<ChildProcess> {
  const child = forkChild('bullmq-instance');
  try {
    const ready = nextMessage(child, 'ready', 30_000);
    child.send({ type: 'run', input });
    await ready;
    return child;
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

export async function measureBullMqDelivery(settings: BullMqDeliverySettings): Promise<BullMqDeliveryResult> {
  if (!RedisTestServer.isAvailable()) return { settings, skipped: 'redis-server not installed' };
  const { requestsPerSecond, events, instances, concurrency } = settings;
  const idealMs = (events / requestsPerSecond) * 1000;
  const redis = await RedisTestServer.start();
  const children: ChildProcess[] = [];
  try {
    const server = await LoopsServerProcess.start({ rateLimit: requestsPerSecond });
    try {
      const queueName = `bench-${randomUUID()}`;
      const share = Math.ceil(events / instances);
      const started = await Promise.allSettled(
        Array.from({ length: instances }, (_, index) =>
          startInstance({
            baseUrl: server.baseUrl,
            redis: redis.connection,
            queueName,
            requestsPerSecond,
            concurrency,
            firstEvent: index * share,
            events: Math.max(0, Math.min(share, events - index * share)),
          }),
        ),
      );
      for (const outcome of started) if (outcome.status === 'fulfilled') children.push(outcome.value);
      const notStarted = started.find((outcome) => outcome.status === 'rejected');
      if (notStarted) throw notStarted.reason;

      // Every listener is in place before the first `go`; allSettled so that no rejection goes unhandled.
      const results = children.map((child) =>
        nextMessage<{ result: BullMqInstanceOutput }>(child, 'result', idealMs * 3 + 30_000),
      );
      for (const child of children) child.send({ type: 'go' });
      const settled = await Promise.allSettled(results);
      const outputs = settled.map((outcome) => {
        if (outcome.status === 'rejected') throw outcome.reason;
        return outcome.value.result;
      });

      const { keys: acceptedKeys, statuses } = await server.acceptedKeys();
      const stats = await server.stats();
      const maxInAnyWindow = await server.maxInAnyWindow(1_000);
      const accepted = new Set(acceptedKeys);
      const enqueued = new Set(outputs.flatMap((output) => output.keys));
      const startedAt = Math.min(...outputs.map((output) => output.startedAt));
      const enqueueMs = Math.max(...outputs.map((output) => output.enqueuedAt)) - startedAt;
      const wallMs = Math.max(...outputs.map((output) => output.flushedAt)) - startedAt;
      const count = (errors: Record<string, number>): number => Object.values(errors).reduce((a, b) => a + b, 0);
      return {
        settings,
        enqueuePerSecond: round((enqueued.size / enqueueMs) * 1000, 0),
        enqueueMs: round(enqueueMs, 0),
        wallMs: round(wallMs, 0),
        idealMs,
        wallToIdeal: round(wallMs / idealMs, 3),
        deliveredPerSecond: round((stats.accepted / wallMs) * 1000, 1),
        rateLimited: stats.rateLimited,
        lost: [...enqueued].filter((key) => !accepted.has(key)).length,
        duplicated: [...accepted].filter((key) => !enqueued.has(key)).length,
        resentAfterAccepted: statuses['409'] ?? 0,
        maxInAnyWindow,
        requests: stats.requests,
        statuses,
        enqueueFailed: outputs.reduce((sum, output) => sum + count(output.enqueueErrors), 0),
        perInstance: outputs.map((output) => ({
          enqueueMs: round(output.enqueuedAt - output.startedAt, 0),
          enqueuePerSecond: round((output.keys.length / (output.enqueuedAt - output.startedAt)) * 1000, 0),
          outcomes: output.outcomes,
          enqueueErrors: output.enqueueErrors,
          errors: output.errors,
        })),
      };
    } finally {
      await Promise.all(children.map((child) => stopChild(child)));
      await server.stop();
    }
  } finally {
    await redis.stop();
  }
}
