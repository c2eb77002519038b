/**
 * Part 3, rate-limited delivery. Two processes: the client (`children/rate-limited.ts`) and the Loops-compatible
 * server limited to R requests per sliding second, each in its own; a fresh server for the SDK's run, so that
 * each run's 429s and accepted keys are its own.
 */
import type { RateLimitedInput, RateLimitedOutput } from '../children/rate-limited';
import { LoopsServerProcess, runTask } from '../support/processes';
import { round } from '../support/stats';

export interface RateLimitedSettings {
  requestsPerSecond: number;
  events: number;
}

export interface RateLimitedResult {
  settings: RateLimitedSettings;
  library: {
    wallMs: number;
    idealMs: number;
    /** wall / ideal. */
    wallToIdeal: number;
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
    requests: number;
    outcomes: RateLimitedOutput['outcomes'];
    errors: Record<string, number>;
    statuses: Record<string, number>;
  };
  sdk: {
    wallMs: number;
    failed: number;
    accepted: number;
    rateLimited: number;
    errors: Record<string, number>;
  };
}

async function withServer<T>(rateLimit: number, fn: (server: LoopsServerProcess) => Promise<T>): Promise<T> {
  const server = await LoopsServerProcess.start({ rateLimit });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

export async function measureRateLimitedDelivery(settings: RateLimitedSettings): Promise<RateLimitedResult> {
  const { requestsPerSecond, events } = settings;
  const idealMs = (events / requestsPerSecond) * 1000;
  const task = (mode: RateLimitedInput['mode'], server: LoopsServerProcess): Promise<RateLimitedOutput> =>
    runTask<RateLimitedInput, RateLimitedOutput>(
      'rate-limited',
      { mode, url: server.url, baseUrl: server.baseUrl, events, requestsPerSecond },
      { timeoutMs: idealMs * 3 + 30_000 },
    );

  const library = await withServer(requestsPerSecond, async (server) => {
    const output = await task('library', server);
    const { keys: acceptedKeys, statuses } = await server.acceptedKeys();
    const stats = await server.stats();
    const accepted = new Set(acceptedKeys);
    const enqueued = new Set(output.keys);
    return {
      wallMs: round(output.wallMs, 0),
      idealMs,
      wallToIdeal: round(output.wallMs / idealMs, 3),
      rateLimited: stats.rateLimited,
      lost: [...enqueued].filter((key) => !accepted.has(key)).length,
      duplicated: [...accepted].filter((key) => !enqueued.has(key)).length,
      resentAfterAccepted: statuses['409'] ?? 0,
      requests: stats.requests,
      outcomes: output.outcomes,
      errors: output.errors,
      statuses,
    };
  });

  const sdk = await withServer(requestsPerSecond, async (server) => {
    const output = await task('sdk', server);
    const stats = await server.stats();
    return {
      wallMs: round(output.wallMs, 0),
      failed: output.outcomes.failed,
      accepted: stats.accepted,
      rateLimited: stats.rateLimited,
      errors: output.errors,
    };
  });
  return { settings, library, sdk };
}
