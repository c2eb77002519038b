/**
 * The background engine and the rate limiter are providers behind documented tokens: an app binds a class of its
 * own through `extraProviders`, and every part of the module (enqueueEvent, the decorator, sendEvent, the API key
 * check) goes through it, as it would through a pg-boss queue or a limiter shared some other way.
 */
import { Controller, INestApplication, Injectable, Post, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getEventListeners } from 'node:events';
import request from 'supertest';
import {
  EmitLoopsEvent,
  LoopsBackgroundDelivery,
  LoopsContactsService,
  type LoopsDeliveryOutcome,
  LoopsEventsService,
  LoopsModule,
  type LoopsModuleOptions,
  LoopsNetworkError,
  LoopsRateLimitError,
  LoopsRateLimiter,
  LoopsSender,
  LoopsTransactionalService,
  LoopsTransport,
  type LoopsTransportResponse,
} from '../lib';
import { CapturingLogger } from './support/capturing-logger';
import { LoopsCompatibleServer } from './support/loops-server';
import { ArrayQueue } from './support/array-queue';
import { TEST_API_KEY } from './support/loops-testing-app';
import { ThrowingAfterGrantLimiter } from './support/throwing-after-grant-limiter';
import { until } from './support/until';

/** A limiter of the app's own that lets everything through and counts what it let through. */
@Injectable()
class CountingLimiter extends LoopsRateLimiter {
  acquired = 0;
  paused = 0;

  async acquire(): Promise<() => void> {
    this.acquired++;
    return () => undefined;
  }

  pauseFor(): void {
    this.paused++;
  }
}

/** A limiter of the app's own that never looks at the signal: it grants each slot when the test opens the gate. */
@Injectable()
class GatedLimiter extends LoopsRateLimiter {
  released = 0;
  private open!: () => void;
  readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  async acquire(): Promise<() => void> {
    await this.gate;
    return () => this.released++;
  }

  pauseFor(): void {}

  openGate(): void {
    this.open();
  }
}

/** A limiter of the app's own whose store goes away after the first slot: every later acquire fails. */
@Injectable()
class FailingAfterFirstLimiter extends LoopsRateLimiter {
  private granted = 0;

  async acquire(): Promise<() => void> {
    if (this.granted++ > 0) throw new Error('limiter store unreachable');
    return () => undefined;
  }

  pauseFor(): void {}
}

/** A limiter written in JavaScript, say, that resolves to no release function at all. */
@Injectable()
class NoReleaseLimiter extends LoopsRateLimiter {
  async acquire(): Promise<() => void> {
    return undefined as unknown as () => void;
  }

  pauseFor(): void {}
}

/** A transport of the app's own, unchecked by types, that resolves to something that is not an answer. */
@Injectable()
class ShapelessTransport extends LoopsTransport {
  async send(): Promise<LoopsTransportResponse> {
    return {} as LoopsTransportResponse;
  }
}

/** A transport of the app's own that fails with an error of its own rather than a LoopsNetworkError. */
@Injectable()
class PlainErrorTransport extends LoopsTransport {
  async send(): Promise<LoopsTransportResponse> {
    throw new Error('socket hang up');
  }
}

@Controller('orders')
class OrdersController {
  @Post()
  @EmitLoopsEvent({ eventName: 'orderPlaced', contact: () => ({ userId: 'u-route' }) })
  place(): { ok: true } {
    return { ok: true };
  }
}

let server: LoopsCompatibleServer;
let app: INestApplication | undefined;

/** An app with LoopsModule (forRoot, or forRootAsync) and `extraProviders` bound in the module. */
async function boot(
  extraProviders: Provider[],
  how: 'forRoot' | 'forRootAsync',
  more: Partial<LoopsModuleOptions> = {},
  logger: CapturingLogger | false = false,
): Promise<INestApplication> {
  const options = { apiKey: TEST_API_KEY, baseUrl: server.baseUrl, retry: false as const, ...more };
  const loopsModule =
    how === 'forRoot'
      ? LoopsModule.forRoot({ ...options, extraProviders })
      : LoopsModule.forRootAsync({ useFactory: () => options, extraProviders });
  const moduleRef = await Test.createTestingModule({
    imports: [loopsModule],
    controllers: [OrdersController],
  }).compile();
  app = moduleRef.createNestApplication({ logger });
  await app.init();
  return app;
}

/** What one `sendEvent` fails with in an app where `provider` replaces the module's own. */
async function sendEventWith(provider: Provider): Promise<unknown> {
  const booted = await boot([provider], 'forRoot');
  return booted
    .get(LoopsEventsService)
    .sendEvent({ eventName: 'signup', userId: 'u1' })
    .catch((thrown: unknown) => thrown);
}

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterEach(async () => {
  await app?.close();
  await server.close();
});

it("a queue of the app's own, bound to LoopsBackgroundDelivery, takes what enqueueEvent and the decorator queue", async () => {
  const booted = await boot([{ provide: LoopsBackgroundDelivery, useClass: ArrayQueue }], 'forRoot');
  const loops = booted.get(LoopsEventsService);
  const outcomes: LoopsDeliveryOutcome[] = [];
  loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  const queue = booted.get(LoopsBackgroundDelivery) as ArrayQueue;
  expect(queue).toBeInstanceOf(ArrayQueue);

  const key = loops.enqueueEvent({ eventName: 'signup', userId: 'u-direct' });
  await request(booted.getHttpServer()).post('/orders').expect(201);
  await loops.flush();

  expect(queue.taken.map((event) => event.eventName)).toEqual(['signup', 'orderPlaced']);
  expect(server.accepted.map((accepted) => accepted.body.userId)).toEqual(['u-direct', 'u-route']);
  expect(outcomes).toEqual([
    expect.objectContaining({ status: 'sent', idempotencyKey: key }),
    expect.objectContaining({ status: 'sent', eventName: 'orderPlaced' }),
  ]);
  await expect(loops.queueStatus()).resolves.toMatchObject({ waiting: 0 });
});

it("a limiter of the app's own, bound to LoopsRateLimiter through forRootAsync, paces every request the module makes", async () => {
  const booted = await boot([{ provide: LoopsRateLimiter, useClass: CountingLimiter }], 'forRootAsync');
  const loops = booted.get(LoopsEventsService);
  const limiter = booted.get(LoopsRateLimiter) as CountingLimiter;
  await loops.sendEvent({ eventName: 'signup', userId: 'u1' });
  loops.enqueueEvent({ eventName: 'signup', userId: 'u2' });
  await loops.flush();
  await loops.apiKeyStatus();
  const transactional = booted.get(LoopsTransactionalService);
  await transactional.send({ transactionalId: 'welcome', email: 'ada@example.com' });
  transactional.enqueue({ transactionalId: 'welcome', email: 'bob@example.com' });
  await loops.flush();
  const contacts = booted.get(LoopsContactsService);
  await contacts.updateContact({ email: 'ada@example.com', properties: { plan: 'pro' } });
  await contacts.findContact({ email: 'ada@example.com' });
  expect(limiter.acquired).toBe(7);
  expect(server.requests).toHaveLength(7);
});

it("a limiter of the app's own that ignores the signal still can't hold a send past sendTimeoutMs, nor keep a slot", async () => {
  const booted = await boot([{ provide: LoopsRateLimiter, useClass: GatedLimiter }], 'forRoot', { sendTimeoutMs: 200 });
  const limiter = booted.get(LoopsRateLimiter) as GatedLimiter;

  const error = await booted
    .get(LoopsEventsService)
    .sendEvent({ eventName: 'signup', userId: 'u1' })
    .catch((thrown: unknown) => thrown);
  limiter.openGate();
  await limiter.gate;
  await new Promise((resolve) => setImmediate(resolve));

  expect(error).toBeInstanceOf(LoopsNetworkError);
  expect(error).toMatchObject({ code: 'ETIMEDOUT' });
  expect(limiter.released).toBe(1);
  expect(server.requests).toHaveLength(0);
});

it('attempts count requests made: a retry that never got a slot is not one', async () => {
  const booted = await boot([{ provide: LoopsRateLimiter, useClass: FailingAfterFirstLimiter }], 'forRoot', {
    retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 },
  });
  const loops = booted.get(LoopsEventsService);
  const outcomes: LoopsDeliveryOutcome[] = [];
  loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  server.script({ kind: 'status', status: 503 });

  loops.enqueueEvent({ eventName: 'signup', userId: 'u1' });
  await loops.flush();

  expect(server.requests).toHaveLength(1);
  expect(outcomes).toEqual([expect.objectContaining({ status: 'failed', attempts: 1 })]);
});

it("a limiter of the app's own that throws once the request is done leaves Loops' answer standing, and logs why", async () => {
  const logger = new CapturingLogger();
  const booted = await boot(
    [{ provide: LoopsRateLimiter, useClass: ThrowingAfterGrantLimiter }],
    'forRoot',
    {},
    logger,
  );
  const loops = booted.get(LoopsEventsService);
  const outcomes: LoopsDeliveryOutcome[] = [];
  loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));

  await expect(loops.sendEvent({ eventName: 'signup', userId: 'u1' })).resolves.toMatchObject({ success: true });
  loops.enqueueEvent({ eventName: 'signup', userId: 'u2' });
  await loops.flush();
  expect(outcomes).toEqual([expect.objectContaining({ status: 'sent' })]);
  // pauseFor, after a 429: the refusal is what the caller gets, not the limiter's error.
  server.script({ kind: 'status', status: 429, body: { success: false, message: 'Slow down' } });
  await expect(loops.sendEvent({ eventName: 'signup', userId: 'u3' })).rejects.toBeInstanceOf(LoopsRateLimitError);

  expect(server.accepted.map((accepted) => accepted.body.userId)).toEqual(['u1', 'u2']);
  const failures = logger.texts('error').filter((text) => text.includes('limiter store unreachable'));
  expect(failures).toEqual([
    expect.stringContaining("The Loops rate limiter's release failed (limiter store unreachable)"),
    expect.stringContaining("The Loops rate limiter's release failed (limiter store unreachable)"),
    expect.stringContaining("The Loops rate limiter's release failed (limiter store unreachable)"),
    expect.stringContaining("The Loops rate limiter's pauseFor failed (limiter store unreachable)"),
  ]);
});

it("the API key check through a limiter of the app's own that throws once the request is done: Loops' answer stands", async () => {
  const logger = new CapturingLogger();
  // One request a second: the answer says none is left, so the check pauses the limiter as well as releasing it.
  const limited = await LoopsCompatibleServer.start({ rateLimitPerSecond: 1 });
  try {
    const booted = await boot(
      [{ provide: LoopsRateLimiter, useClass: ThrowingAfterGrantLimiter }],
      'forRoot',
      { baseUrl: limited.baseUrl },
      logger,
    );
    await expect(booted.get(LoopsEventsService).apiKeyStatus()).resolves.toMatchObject({
      state: 'valid',
      teamName: 'Test team',
    });
    expect(logger.texts('error')).toEqual([
      expect.stringContaining("The Loops rate limiter's pauseFor failed (limiter store unreachable)"),
      expect.stringContaining("The Loops rate limiter's release failed (limiter store unreachable)"),
    ]);
  } finally {
    await app?.close();
    app = undefined;
    await limited.close();
  }
});

it("a queue of the app's own handing one signal to many deliveries at once: one listener on it, all cut short with it", async () => {
  const booted = await boot([], 'forRoot', { rateLimit: { requestsPerSecond: 100 } });
  const sender = booted.get(LoopsSender);
  server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
  const stopping = new AbortController();
  const deliveries = Array.from({ length: 20 }, (_, index) => {
    const body = JSON.stringify({ eventName: 'signup', userId: `u${index}` });
    return sender.deliver(
      { kind: 'event', eventName: 'signup', idempotencyKey: `k${index}`, keyChosenByCaller: false, body },
      stopping.signal,
    );
  });
  await until(() => server.requests.length === 20, 'twenty requests in flight');
  // Each delivery listens through a signal of its own: Node would warn of a leak past ten on the app's.
  expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(1);
  stopping.abort();
  const results = await Promise.all(deliveries);
  expect(results.map((result) => result.ok || (result.error as LoopsNetworkError).code)).toEqual(
    Array(20).fill('ABORT_ERR'),
  );
  expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
});

it("a limiter of the app's own that grants no release function fails the send before any request, saying so", async () => {
  const error = await sendEventWith({ provide: LoopsRateLimiter, useClass: NoReleaseLimiter });
  expect(error).toBeInstanceOf(LoopsNetworkError);
  expect(error).toMatchObject({
    message: expect.stringContaining('LoopsRateLimiter.acquire resolved to undefined, not a release function'),
    mayHaveBeenAccepted: false,
  });
  expect(server.requests).toHaveLength(0);
});

it("a transport of the app's own that resolves to no answer fails the send as one whose outcome is unknown", async () => {
  const error = await sendEventWith({ provide: LoopsTransport, useClass: ShapelessTransport });
  expect(error).toBeInstanceOf(LoopsNetworkError);
  expect(error).toMatchObject({
    message: 'The LoopsTransport resolved to something that is not an answer (a status and headers are required)',
    mayHaveBeenAccepted: true,
  });
});

it("a transport of the app's own that rejects with an error of its own: a request that may have arrived", async () => {
  const error = await sendEventWith({ provide: LoopsTransport, useClass: PlainErrorTransport });
  expect(error).toBeInstanceOf(LoopsNetworkError);
  expect(error).toMatchObject({ message: 'Sending to Loops failed: socket hang up', mayHaveBeenAccepted: true });
});
