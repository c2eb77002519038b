import { type BeforeApplicationShutdown, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { getEventListeners } from 'node:events';
import { firstValueFrom, toArray } from 'rxjs';
import {
  LoopsApiError,
  LoopsAuthError,
  LoopsContactsService,
  type LoopsDeliveryOutcome,
  LoopsEventsService,
  type LoopsFailedOutcome,
  LoopsNetworkError,
  LoopsQueueFullError,
  LoopsShutdownError,
  LoopsTransactionalService,
  LoopsValidationError,
  type SendEventInput,
} from '../lib';
import { expectDeliveredExactlyOnce } from './support/exactly-once';
import { until } from './support/until';
import { createLoopsTestingApp, LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';

const event: SendEventInput = { eventName: 'signup', email: 'ada.lovelace@example.com' };
const quickRetry = { attempts: 4, minDelayMs: 10, maxDelayMs: 40 };
const byEmail = (body: Record<string, unknown>): string => String(body.email);

let server: LoopsCompatibleServer;
const apps: LoopsTestingApp[] = [];

async function boot(
  options: Parameters<typeof createLoopsTestingApp>[1] = {},
  metadata: Parameters<typeof createLoopsTestingApp>[2] = {},
): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(server, options, metadata);
  apps.push(testing);
  return testing;
}

function collectOutcomes(testing: LoopsTestingApp): Promise<LoopsDeliveryOutcome[]> {
  return firstValueFrom(testing.loops.deliveries$.pipe(toArray()));
}

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((testing) => testing.app.close()));
  await server.close();
});

describe('retries', () => {
  it('retries 500, 503 and a dropped connection, then delivers once with one key', async () => {
    const { loops } = await boot({ retry: quickRetry });
    server.script(
      { kind: 'status', status: 500, body: { success: false, message: 'oops' } },
      { kind: 'status', status: 503, rawBody: 'unavailable' },
      { kind: 'drop' },
    );
    const result = await loops.sendEvent(event);
    expect(result).toMatchObject({ attempts: 4, deduplicated: false });
    const keys = server.eventRequests().map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual([result.idempotencyKey, result.idempotencyKey, result.idempotencyKey, result.idempotencyKey]);
    expectDeliveredExactlyOnce(server, [event.email as string], byEmail);
  });

  it('counts accept-then-drop as delivered, exactly once (the retry is answered 409)', async () => {
    const { loops } = await boot({ retry: quickRetry });
    server.script({ kind: 'accept-then-drop' });
    const result = await loops.sendEvent(event);
    expect(result).toMatchObject({ attempts: 2, deduplicated: true, success: true });
    expect(server.eventRequests().map((request) => request.status)).toEqual([undefined, 409]);
    expectDeliveredExactlyOnce(server, [event.email as string], byEmail);
  });

  it('retries an attempt that stalls past timeoutMs, and delivers', async () => {
    const { loops } = await boot({ retry: quickRetry, timeoutMs: 1_000 });
    // The first answer never comes (the server cuts the wait short when it closes); the retry has a whole timeout.
    server.script({ kind: 'delay', ms: 60_000 });
    const result = await loops.sendEvent(event);
    expect(result.attempts).toBe(2);
    expectDeliveredExactlyOnce(server, [event.email as string], byEmail);
  });

  it.each(['awaited', 'queued'])("waits at least a 503's Retry-After before the next attempt, %s", async (mode) => {
    const { loops } = await boot({ retry: quickRetry });
    server.script({
      kind: 'status',
      status: 503,
      headers: { 'Retry-After': '1' },
      body: { success: false, message: 'busy' },
    });
    if (mode === 'awaited') await loops.sendEvent(event);
    else loops.enqueueEvent(event);
    await loops.flush();
    const [first, second] = server.eventRequests();
    expect(second.receivedAt - (first.answeredAt as number)).toBeGreaterThanOrEqual(1_000);
    expectDeliveredExactlyOnce(server, [event.email as string], byEmail);
  });

  it("a 2xx that is not Loops' JSON (a proxy's page) is not taken as delivered: retried with its key, delivered once", async () => {
    const { loops } = await boot({ retry: quickRetry });
    server.script({ kind: 'status', status: 200, rawBody: '<!doctype html><h1>Sign in to continue</h1>' });
    const result = await loops.sendEvent(event);
    expect(result).toMatchObject({ attempts: 2, deduplicated: false });
    expectDeliveredExactlyOnce(server, [event.email as string], byEmail);
  });

  it("a 2xx that is not Loops' JSON, every time: the send fails as one Loops may have, and its outcome says so", async () => {
    const { loops } = await boot({ retry: { attempts: 2, minDelayMs: 10, maxDelayMs: 10 } });
    const outcomes = collectOutcomes(apps[0]);
    server.respondWith(() => ({ kind: 'status', status: 200, rawBody: '<html>portal</html>' }));
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsApiError);
    expect(error).toMatchObject({ status: 200, rawBody: '<html>portal</html>', mayHaveBeenAccepted: true });
    loops.enqueueEvent({ ...event, email: 'grace.hopper@example.com' });
    await loops.flush();
    await apps[0].app.close();
    expect(await outcomes).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 2, mayHaveBeenAccepted: true }),
    ]);
    expect(server.accepted).toEqual([]);
  });

  it("a 2xx saying success: false is a refusal, with Loops' message, not retried", async () => {
    const { loops } = await boot({ retry: quickRetry });
    server.script({ kind: 'status', status: 200, body: { success: false, message: 'Contact not found.' } });
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsApiError);
    expect(error).toMatchObject({ message: 'Loops answered 200: Contact not found.', mayHaveBeenAccepted: false });
    expect(server.eventRequests()).toHaveLength(1);
  });

  it('gives up after the last attempt with the last error', async () => {
    const { loops } = await boot({ retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 5 } });
    server.respondWith(() => ({ kind: 'status', status: 503, body: { success: false, message: 'down' } }));
    await expect(loops.sendEvent(event)).rejects.toMatchObject({ status: 503, loopsMessage: 'down' });
    expect(server.eventRequests()).toHaveLength(3);
  });

  it.each([
    [400, LoopsApiError],
    [401, LoopsAuthError],
    [404, LoopsApiError],
  ])('does not retry %i', async (status, errorClass) => {
    const { loops } = await boot({ retry: quickRetry });
    server.script({ kind: 'status', status, body: { success: false, message: 'no' } });
    await expect(loops.sendEvent(event)).rejects.toBeInstanceOf(errorClass);
    expect(server.eventRequests()).toHaveLength(1);
  });

  it('waits out Loops one-second window after a 429 before retrying', async () => {
    const { loops } = await boot({ retry: quickRetry });
    server.script({ kind: 'status', status: 429, body: { success: false } });
    await loops.sendEvent(event);
    const [first, second] = server.eventRequests();
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('a timeout with retries off is a LoopsNetworkError saying so', async () => {
    const { loops } = await boot({ retry: false, timeoutMs: 100 });
    server.script({ kind: 'delay', ms: 1_000 });
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'Loops did not answer within 100 ms' });
  });

  it('an AbortSignal aborted before the call sends nothing', async () => {
    const { loops } = await boot();
    const error = await loops.sendEvent(event, { signal: AbortSignal.abort() }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'ABORT_ERR' });
    expect(server.eventRequests()).toHaveLength(0);
  });

  it("the caller's AbortSignal cancels the attempt and the retries", async () => {
    const { loops } = await boot({ retry: { attempts: 5, minDelayMs: 5_000, maxDelayMs: 5_000 } });
    server.respondWith(() => ({ kind: 'status', status: 503 }));
    const controller = new AbortController();
    const sending = loops.sendEvent(event, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await sending.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error).toMatchObject({ code: 'ABORT_ERR' });
    expect(server.eventRequests()).toHaveLength(1);
  });

  it("the caller's AbortSignal: the reason it aborts with is the error's cause", async () => {
    const { loops } = await boot({ retry: { attempts: 5, minDelayMs: 5_000, maxDelayMs: 5_000 } });
    server.respondWith(() => ({ kind: 'status', status: 503 }));
    const controller = new AbortController();
    const sending = loops.sendEvent(event, { signal: controller.signal });
    await until(() => server.eventRequests().length === 1, 'the first attempt');
    const reason = new Error('the user left');
    controller.abort(reason);
    const error = await sending.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error).toMatchObject({ code: 'ABORT_ERR', cause: reason });
  });

  it("the caller's AbortSignal cutting the last attempt short is ABORT_ERR, as when it cuts a wait", async () => {
    // With no attempt left, the abort must still read as the caller's (README), not as the transport's own.
    const { loops } = await boot({ retry: false, timeoutMs: 10_000 });
    server.respondWith(() => ({ kind: 'delay', ms: 5_000 }));
    const controller = new AbortController();
    const sending = loops.sendEvent(event, { signal: controller.signal });
    await until(() => server.eventRequests().length === 1, 'the event in flight');
    controller.abort();
    const error = await sending.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error).toMatchObject({ code: 'ABORT_ERR', mayHaveBeenAccepted: true });
  });
});

describe('rate limiting', () => {
  it('a burst of 5×N events against a server limited to N/s all arrive, with no 429', async () => {
    const limit = 5;
    server.rateLimitPerSecond = limit;
    const { loops } = await boot({
      rateLimit: { requestsPerSecond: limit },
      retry: quickRetry,
      queue: { concurrency: 8 },
    });
    const keys = Array.from({ length: 5 * limit }, (_, index) => loops.enqueueEvent({ ...event, userId: `u${index}` }));
    await loops.flush();
    expect(server.eventRequests().map((request) => request.status)).not.toContain(429);
    expect(keys).toHaveLength(5 * limit);
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `u${index}`),
    );
    expect(server.maxInAnyWindow(1_000)).toBeLessThanOrEqual(limit);
  });

  it('a fractional rate, 2.5/s, lets at most 2 requests into any second', async () => {
    const { loops } = await boot({ rateLimit: { requestsPerSecond: 2.5 }, queue: { concurrency: 8 } });
    const keys = Array.from({ length: 6 }, (_, index) => loops.enqueueEvent({ ...event, userId: `u${index}` }));
    await loops.flush();
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `u${index}`),
    );
    expect(server.maxInAnyWindow(1_000)).toBeLessThanOrEqual(2);
  });

  it('holds back for a second when Loops says x-ratelimit-remaining: 0', async () => {
    const { loops } = await boot({ rateLimit: { requestsPerSecond: 100 } });
    server.script({ kind: 'status', status: 200, body: { success: true }, headers: { 'x-ratelimit-remaining': '0' } });
    await loops.sendEvent(event);
    await loops.sendEvent(event);
    const [first, second] = server.eventRequests();
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('holds every request back for a window after a 429, not only the retry of the one refused', async () => {
    // A 429 without x-ratelimit-remaining (a proxy's, or one whose headers were stripped) says as much.
    const { loops } = await boot({ rateLimit: { requestsPerSecond: 100 }, retry: false });
    server.script({ kind: 'status', status: 429, body: { success: false, message: 'Rate limit exceeded' } });
    await expect(loops.sendEvent(event)).rejects.toMatchObject({ name: 'LoopsRateLimitError' });
    await loops.sendEvent({ ...event, userId: 'u2' });
    const [refused, next] = server.eventRequests();
    expect(refused.status).toBe(429);
    expect(next.receivedAt - refused.receivedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('gets back the slot of a request that failed without an answer', async () => {
    // A timeout or a dropped connection must not keep its slot for good.
    const { loops } = await boot({ rateLimit: { requestsPerSecond: 1 }, retry: false, sendTimeoutMs: 3_000 });
    server.script({ kind: 'drop' });
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsNetworkError);
    // The only slot is free again one window after the failed request ended.
    await expect(loops.sendEvent({ ...event, userId: 'u2' })).resolves.toMatchObject({ success: true, attempts: 1 });
  });

  it('two requests a network delayed differently still arrive a second apart at 1/s', async () => {
    // A slot is held for a window from when its request ended, not from when it started: a request held up on the
    // way would otherwise arrive within a second of the next one.
    let sent = 0;
    const { loops } = await boot(
      { rateLimit: { requestsPerSecond: 1 }, retry: false },
      {
        transport: (real) => ({
          send: async (request) => {
            // The first request takes 1.2 s to reach Loops (longer than a window); the next none.
            if (sent++ === 0) await new Promise((resolve) => setTimeout(resolve, 1_200));
            return real.send(request);
          },
        }),
      },
    );
    await Promise.all([loops.sendEvent(event), loops.sendEvent({ ...event, userId: 'u2' })]);
    expect(server.eventRequests()).toHaveLength(2);
    expect(server.maxInAnyWindow(1_000)).toBe(1);
  });
});

describe('background queue', () => {
  it('enqueueEvent validates at once and returns the key', async () => {
    const { loops } = await boot();
    expect(() => loops.enqueueEvent({ eventName: 'bad:name', email: 'a@example.com' })).toThrow(LoopsValidationError);
    const key = loops.enqueueEvent(event, { idempotencyKey: 'bg-1' });
    expect(key).toBe('bg-1');
    await loops.flush();
    expect(server.accepted.map((accepted) => accepted.idempotencyKey)).toEqual(['bg-1']);
  });

  it('keeps at most queue.concurrency deliveries in flight', async () => {
    const { loops } = await boot({ queue: { concurrency: 2 } });
    server.respondWith(() => ({ kind: 'delay', ms: 1_500 }));
    for (let index = 0; index < 6; index++) loops.enqueueEvent(event);
    // No answer comes for 1.5 s, so whatever has arrived by now is everything in flight.
    while (server.eventRequests().length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.eventRequests()).toHaveLength(2);
    expect(loops.pendingCount).toBe(6);
    await loops.flush();
    expect(server.accepted).toHaveLength(6);
  });

  it('throws LoopsQueueFullError when maxPending events are pending', async () => {
    const { loops } = await boot({ queue: { concurrency: 1, maxPending: 3 } });
    server.respondWith(() => ({ kind: 'delay', ms: 300 }));
    for (let index = 0; index < 3; index++) loops.enqueueEvent(event);
    expect(() => loops.enqueueEvent(event)).toThrow(LoopsQueueFullError);
    await loops.flush();
    expect(server.accepted).toHaveLength(3);
  });

  it('flush(timeoutMs) answers false when the queue has not drained in time', async () => {
    const { loops } = await boot();
    server.respondWith(() => ({ kind: 'delay', ms: 500 }));
    loops.enqueueEvent(event);
    await expect(loops.flush(50)).resolves.toBe(false);
    await expect(loops.flush()).resolves.toBe(true);
  });

  it.each([Infinity, 2 ** 31, 30 * 24 * 3_600_000])(
    'flush(%p), longer than Node timers take, waits for the queue instead of answering false at once',
    async (timeoutMs) => {
      const { loops } = await boot();
      server.script({ kind: 'delay', ms: 300 });
      loops.enqueueEvent(event);
      await expect(loops.flush(timeoutMs)).resolves.toBe(true);
      expect(server.accepted).toHaveLength(1);
    },
  );

  it('flush() waits only for the events enqueued before it, not for those enqueued after', async () => {
    const { loops } = await boot({ shutdownTimeoutMs: 100 });
    server.respondWith((request) =>
      (request.body as { userId?: string }).userId === 'late' ? { kind: 'delay', ms: 60_000 } : undefined,
    );
    loops.enqueueEvent({ ...event, userId: 'early' });
    const flushed = loops.flush(5_000);
    loops.enqueueEvent({ ...event, userId: 'late' });
    await expect(flushed).resolves.toBe(true);
    expect(server.accepted.map((accepted) => accepted.body.userId)).toEqual(['early']);
  });

  it('reports an event that keeps failing as failed, on deliveries$ and in the log, email masked', async () => {
    const testing = await boot({ retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 5 } });
    const outcomes = collectOutcomes(testing);
    server.respondWith(() => ({ kind: 'status', status: 500, body: { success: false, message: 'broken' } }));
    const key = testing.loops.enqueueEvent(event);
    await testing.loops.flush();
    await testing.app.close();
    expect(await outcomes).toEqual([
      expect.objectContaining({
        status: 'failed',
        eventName: 'signup',
        idempotencyKey: key,
        attempts: 2,
        error: expect.any(LoopsApiError),
      }),
    ]);
    const errors = testing.logger.lines.filter((line) => line.level === 'error').map((line) => line.text);
    expect(errors).toEqual([
      expect.stringContaining(
        `Loops event "signup" (${key}) for a***@example.com failed after 2 attempt(s): Loops answered 500: broken`,
      ),
    ]);
    expect(testing.logger.texts().join('\n')).not.toContain('ada.lovelace@example.com');
  });

  it('emits sent outcomes with their attempts', async () => {
    const testing = await boot({ retry: quickRetry });
    const outcomes = collectOutcomes(testing);
    server.script({ kind: 'status', status: 502 });
    const key = testing.loops.enqueueEvent(event);
    await testing.app.close();
    expect(await outcomes).toEqual([
      {
        status: 'sent',
        kind: 'event',
        eventName: 'signup',
        idempotencyKey: key,
        attempts: 2,
        deduplicated: false,
        dryRun: false,
      },
    ]);
  });
});

describe('shutdown', () => {
  it('app.close() returns after all 100 pending events are delivered', async () => {
    const testing = await boot({ queue: { concurrency: 4 } });
    server.respondWith(() => ({ kind: 'delay', ms: 10 }));
    const keys = Array.from({ length: 100 }, (_, index) =>
      testing.loops.enqueueEvent({ ...event, userId: `u${index}` }),
    );
    expect(testing.loops.pendingCount).toBe(100);
    await testing.app.close();
    expect(keys).toHaveLength(100);
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `u${index}`),
    );
    expect(() => testing.loops.enqueueEvent(event)).toThrow(LoopsShutdownError);
  });

  it("takes and delivers what the app's own onModuleDestroy and beforeApplicationShutdown hooks enqueue", async () => {
    @Injectable()
    class GoodbyeEvents implements OnModuleDestroy, BeforeApplicationShutdown {
      constructor(private readonly loops: LoopsEventsService) {}
      onModuleDestroy(): void {
        this.loops.enqueueEvent({ ...event, userId: 'destroyed' });
      }
      beforeApplicationShutdown(): void {
        this.loops.enqueueEvent({ ...event, userId: 'before-shutdown' });
      }
    }
    const testing = await boot({}, { providers: [GoodbyeEvents] });
    await testing.app.close();
    expectDeliveredExactlyOnce(server, ['destroyed', 'before-shutdown']);
  });

  it('gives up after shutdownTimeoutMs and reports what was not delivered', async () => {
    const testing = await boot({ shutdownTimeoutMs: 200, queue: { concurrency: 1 } });
    const outcomes = collectOutcomes(testing);
    server.respondWith(() => ({ kind: 'delay', ms: 5_000 }));
    const inFlight = testing.loops.enqueueEvent(event);
    const waiting = [
      testing.loops.enqueueEvent({ ...event, eventName: 'planChanged', eventProperties: { plan: 'pro' } }),
      testing.loops.enqueueEvent({ ...event, eventName: 'planChanged', eventProperties: { plan: 'team' } }),
    ];
    await until(() => server.eventRequests().length === 1, 'the first event in flight');
    await testing.app.close();
    const settled = (await outcomes) as LoopsFailedOutcome[];
    expect(settled.map((outcome) => outcome.status)).toEqual(['failed', 'failed', 'failed']);
    const byKey = new Map(settled.map((outcome) => [outcome.idempotencyKey, outcome]));
    // Never sent: a LoopsShutdownError, no attempt, nothing mayHaveBeenAccepted; the event itself, to keep and replay.
    for (const [index, key] of waiting.entries()) {
      expect(byKey.get(key)).toMatchObject({
        attempts: 0,
        mayHaveBeenAccepted: false,
        error: expect.any(LoopsShutdownError),
      });
      expect(byKey.get(key)?.event).toEqual({
        ...event,
        eventName: 'planChanged',
        eventProperties: { plan: ['pro', 'team'][index] },
      });
    }
    // Cut short in flight: a LoopsShutdownError whose cause is the aborted request, and Loops may have it.
    const cut = byKey.get(inFlight);
    expect(cut).toMatchObject({ attempts: 1, mayHaveBeenAccepted: true, error: expect.any(LoopsShutdownError) });
    expect(cut?.error.mayHaveBeenAccepted).toBe(true);
    expect(cut?.error.cause).toMatchObject({ code: 'ABORT_ERR' });
    expect(cut?.error.cause).toBeInstanceOf(LoopsNetworkError);
    expect(testing.logger.texts('error')).toContainEqual(
      expect.stringContaining(
        '3 Loops event(s) could not be delivered within shutdownTimeoutMs (200 ms): signup (1), planChanged (2)',
      ),
    );
  });

  it('a background event cut short while it waited for a rate-limit slot reports no attempt', async () => {
    const testing = await boot({
      rateLimit: { requestsPerSecond: 1 },
      shutdownTimeoutMs: 100,
      queue: { concurrency: 2 },
    });
    const outcomes = collectOutcomes(testing);
    const first = testing.loops.enqueueEvent(event);
    const second = testing.loops.enqueueEvent({ ...event, userId: 'u2' });
    await until(() => server.eventRequests().length === 1, 'the first event sent');
    await testing.loops.flush(50);
    await testing.app.close();
    const byKey = new Map(
      (await outcomes).map((outcome) => [outcome.status === 'dropped' ? undefined : outcome.idempotencyKey, outcome]),
    );
    expect(byKey.get(first)).toMatchObject({ status: 'sent', attempts: 1 });
    // Taken by the second worker, but never past the limiter: no request was made.
    expect(byKey.get(second)).toMatchObject({
      status: 'failed',
      attempts: 0,
      mayHaveBeenAccepted: false,
      error: expect.any(LoopsShutdownError),
    });
    expect(server.eventRequests()).toHaveLength(1);
  });
});

describe('sendTimeoutMs', () => {
  it('bounds a whole send, the wait for the rate limiter included', async () => {
    const { loops } = await boot({ rateLimit: { requestsPerSecond: 1 }, sendTimeoutMs: 300 });
    // The limiter's only slot is now held for a second after this send.
    await loops.sendEvent(event);
    const error = await loops.sendEvent({ ...event, userId: 'u2' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error).toMatchObject({
      code: 'ETIMEDOUT',
      message: 'Loops did not accept the event within sendTimeoutMs (300 ms)',
      mayHaveBeenAccepted: false,
    });
    // The second event never left.
    expect(server.eventRequests()).toHaveLength(1);
  });

  it('bounds attempts and backoffs, and says the event may have been accepted when an attempt was cut short', async () => {
    const { loops } = await boot({
      retry: { attempts: 20, minDelayMs: 50, maxDelayMs: 50 },
      timeoutMs: 200,
      sendTimeoutMs: 700,
    });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', mayHaveBeenAccepted: true });
    expect((error as Error).message).toContain('sendTimeoutMs (700 ms)');
    expect(server.eventRequests().length).toBeLessThan(20);
  });

  it("when it runs out after an answer, the ETIMEDOUT's cause is that answer", async () => {
    // The 503 leaves the only slot held for a second, longer than what is left of sendTimeoutMs.
    const { loops } = await boot({
      rateLimit: { requestsPerSecond: 1 },
      retry: { minDelayMs: 10, maxDelayMs: 10 },
      sendTimeoutMs: 500,
    });
    server.respondWith(() => ({ kind: 'status', status: 503, body: { success: false, message: 'Down for repairs' } }));
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', mayHaveBeenAccepted: true });
    expect((error as Error).cause).toBeInstanceOf(LoopsApiError);
    expect((error as Error).cause).toMatchObject({ status: 503, loopsMessage: 'Down for repairs' });
    expect(server.eventRequests()).toHaveLength(1);
  });

  it("when it runs out during an attempt after an answer, the cause is still that answer, not the attempt's abort", async () => {
    const { loops } = await boot({ retry: { minDelayMs: 10, maxDelayMs: 10 }, sendTimeoutMs: 500 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    server.script({ kind: 'status', status: 503, body: { success: false, message: 'Down for repairs' } });
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', mayHaveBeenAccepted: true });
    expect((error as Error).cause).toMatchObject({ status: 503, loopsMessage: 'Down for repairs' });
    expect(server.eventRequests()).toHaveLength(2);
  });

  it('a retry whose wait would end past it is not waited for: the send times out at once, with the answer', async () => {
    // Waited for, the two minutes of Retry-After would outlast the test's own timeout.
    const { loops } = await boot({ sendTimeoutMs: 60_000 });
    server.respondWith(() => ({
      kind: 'status',
      status: 503,
      headers: { 'Retry-After': '120' },
      body: { success: false, message: 'Busy' },
    }));
    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', mayHaveBeenAccepted: true });
    expect((error as Error).message).toContain('sendTimeoutMs (60000 ms)');
    expect((error as Error).cause).toBeInstanceOf(LoopsApiError);
    expect((error as Error).cause).toMatchObject({ status: 503, loopsMessage: 'Busy' });
    expect(server.eventRequests()).toHaveLength(1);
  });

  it('is told apart from your own AbortSignal', async () => {
    const { loops } = await boot({ sendTimeoutMs: 60_000 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    const controller = new AbortController();
    const sending = loops.sendEvent(event, { signal: controller.signal });
    await until(() => server.eventRequests().length === 1, 'the request in flight');
    controller.abort();
    await expect(sending).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });
});

describe('one AbortSignal of the app shared by many sends', () => {
  /** Node 20's record, on a signal, of the signals AbortSignal.any made from it, which it never forgets. */
  function derivedSignalsKeptBy(signal: AbortSignal): number {
    const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
    return symbol ? ((signal as unknown as Record<symbol, Set<unknown> | undefined>)[symbol]?.size ?? 0) : 0;
  }

  it('keeps nothing of the sends once they settled: a long-lived signal does not grow with traffic', async () => {
    const { app, loops } = await boot();
    const { signal } = new AbortController();
    await loops.sendEvent(event, { signal });
    await app.get(LoopsTransactionalService).send({ transactionalId: 'welcome', email: 'ada@example.com' }, { signal });
    await app.get(LoopsContactsService).updateContact({ email: 'ada@example.com' }, { signal });
    expect(derivedSignalsKeptBy(signal)).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('cancels every send in flight when it aborts, through one listener however many sends follow it', async () => {
    const { loops } = await boot({ queue: { concurrency: 20 } });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    const controller = new AbortController();
    const sends = Array.from({ length: 20 }, (_, index) =>
      loops
        .sendEvent({ ...event, userId: `u${index}` }, { signal: controller.signal })
        .catch((error: unknown) => error),
    );
    await until(() => server.eventRequests().length === 20, 'twenty requests in flight');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    for (const error of await Promise.all(sends)) expect(error).toMatchObject({ code: 'ABORT_ERR' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('rateLimit: {}', () => {
  it('is the default 10 requests a second', async () => {
    server.rateLimitPerSecond = 10;
    const { loops } = await boot({ rateLimit: {}, queue: { concurrency: 8 } });
    const keys = Array.from({ length: 15 }, (_, index) => loops.enqueueEvent({ ...event, userId: `u${index}` }));
    await loops.flush();
    expect(server.eventRequests().map((request) => request.status)).not.toContain(429);
    expect(server.maxInAnyWindow(1_000)).toBeLessThanOrEqual(10);
    expectDeliveredExactlyOnce(
      server,
      keys.map((_, index) => `u${index}`),
    );
  });
});

describe('dryRun', () => {
  const detailed: SendEventInput = {
    ...event,
    userId: 'u-1',
    eventProperties: { plan: 'pro', seats: 3, trialEndsAt: new Date('2026-12-01') },
    contactProperties: { firstName: 'Ada', company: null },
    mailingLists: { news: true },
  };

  it('validates and logs the event instead of sending it: names and types, no values, the contact masked', async () => {
    const testing = await boot({ dryRun: true });
    const result = await testing.loops.sendEvent(detailed, { idempotencyKey: 'dry-1' });
    testing.loops.enqueueEvent(event);
    await testing.loops.flush();
    expect(result).toMatchObject({ dryRun: true, attempts: 0 });
    expect(server.requests).toHaveLength(0);
    const logged = testing.logger.texts('log').filter((text) => text.includes('[dry run]'));
    expect(logged).toEqual([
      expect.stringContaining(
        '[dry run] Loops event "signup" (dry-1): for a***@example.com, userId u-1, ' +
          'eventProperties { plan: string, seats: number, trialEndsAt: string }, ' +
          'contactProperties { firstName: string, company: null }, mailingLists { news }',
      ),
      expect.stringContaining('for a***@example.com'),
    ]);
    expect(logged.join('\n')).not.toMatch(/pro|Ada|2026/);
    expect(() => testing.loops.enqueueEvent({ eventName: '' } as SendEventInput)).toThrow(LoopsValidationError);
  });

  it("dryRun: 'verbose' logs the values as well, emails masked", async () => {
    const testing = await boot({ dryRun: 'verbose' });
    await testing.loops.sendEvent(detailed);
    const [logged] = testing.logger.texts('log').filter((text) => text.includes('[dry run]'));
    expect(logged).toContain('"email":"a***@example.com"');
    expect(logged).toContain('"eventProperties":{"plan":"pro","seats":3,"trialEndsAt":"2026-12-01T00:00:00.000Z"}');
    expect(server.requests).toHaveLength(0);
  });
});
