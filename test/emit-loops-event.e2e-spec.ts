import {
  Body,
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  HttpException,
  INestApplication,
  Injectable,
  MessageEvent,
  Post,
  Provider,
  Sse,
  Type,
  UseGuards,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo, createServer } from 'node:net';
import { setImmediate as nextTick } from 'node:timers/promises';
import { concat, EMPTY, interval, lastValueFrom, map, Observable, of, take, throwError, toArray } from 'rxjs';
import request from 'supertest';
import {
  EmitLoopsEvent,
  LoopsApiError,
  type LoopsDroppedOutcome,
  type LoopsFailedOutcome,
  type LoopsDeliveryOutcome,
  type LoopsEventContact,
  type LoopsEventContext,
  LoopsEventInterceptor,
  LoopsEventsService,
  type LoopsModuleOptions,
  LoopsValidationError,
} from '../lib';
import { CapturingLogger } from './support/capturing-logger';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp } from './support/loops-testing-app';

/** Stands in for an auth guard: `request.user` from the `x-user` header (JSON), on Express and Fastify alike. */
@Injectable()
class HeaderUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; user?: unknown }>();
    const raw = req.headers['x-user'];
    if (typeof raw === 'string') req.user = JSON.parse(raw);
    return true;
  }
}

interface PlanBody {
  accountId: string;
  plan: string;
  seats: number;
}

@Controller()
@UseGuards(HeaderUserGuard)
class EventsController {
  @Post('throws')
  @EmitLoopsEvent('neverSent')
  @EmitLoopsEvent({ eventName: 'neverSentAwaited', mode: 'await' })
  throws(): never {
    throw new HttpException({ code: 'TEAPOT', detail: 'the handler failed' }, 418);
  }

  @Post('signup')
  @EmitLoopsEvent('signup')
  signup(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return { ...body, created: true };
  }

  @Post('signup-await')
  @EmitLoopsEvent({ eventName: 'signupAwaited', mode: 'await' })
  signupAwait(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return { ...body, created: true };
  }

  @Post('stacked')
  @EmitLoopsEvent('accountCreated')
  @EmitLoopsEvent({ eventName: 'welcomeSeries', mailingLists: { welcome: true } })
  stacked(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }

  @Post('conditional')
  @EmitLoopsEvent({ eventName: 'newsletterJoined', when: (ctx) => (ctx.data as { join?: boolean }).join === true })
  conditional(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }

  @Post('never')
  @EmitLoopsEvent({ eventName: 'neverWanted', when: () => false })
  never(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }

  @Post('profile')
  @EmitLoopsEvent('profileUpdated')
  profile(): { ok: true } {
    return { ok: true };
  }

  @Post('plan')
  @EmitLoopsEvent<PlanBody>({
    eventName: 'planChanged',
    contact: (ctx) => ({ userId: ctx.result.accountId }),
    eventProperties: (ctx) => ({ plan: ctx.result.plan, seats: (ctx.data as PlanBody).seats }),
    contactProperties: (ctx) => ({ plan: ctx.result.plan, trialEndsAt: null }),
    mailingLists: (ctx) => ({ [`plan-${ctx.result.plan}`]: true }),
  })
  plan(@Body() body: PlanBody): PlanBody {
    return body;
  }

  @Post('newsletter')
  @EmitLoopsEvent({
    eventName: 'newsletterSignup',
    eventProperties: { source: 'footer', confirmed: false, score: 3, at: new Date('2026-01-02T03:04:05.000Z') },
    contactProperties: { source: 'footer' },
    mailingLists: { weekly: true, promo: false },
  })
  newsletter(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }

  @Post('orders')
  @EmitLoopsEvent({
    eventName: 'orderPlaced',
    idempotencyKey: (ctx) => `order-${(ctx.data as { orderId: string }).orderId}`,
  })
  order(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return { ...body, status: 'placed' };
  }

  @Post('no-contact')
  @EmitLoopsEvent('orphan')
  noContact(): { ok: true } {
    return { ok: true };
  }

  @Post('no-contact-await')
  @EmitLoopsEvent({ eventName: 'orphanAwaited', mode: 'await' })
  noContactAwait(): { ok: true } {
    return { ok: true };
  }

  @Post('mapper-throws')
  @EmitLoopsEvent({
    eventName: 'brokenMapper',
    contact: () => {
      throw new Error('the contact mapper broke');
    },
  })
  mapperThrows(): { ok: true } {
    return { ok: true };
  }

  @Post('bad-name')
  @EmitLoopsEvent('bad:name')
  badName(): Record<string, unknown> {
    return { ok: true, email: 'bad-name@example.com' };
  }

  @Post('bad-property')
  @EmitLoopsEvent({ eventName: 'badProperty', eventProperties: { nested: { deep: true } } as never })
  badProperty(): Record<string, unknown> {
    return { ok: true, email: 'bad-property@example.com' };
  }

  @Get('observable')
  @EmitLoopsEvent('fromObservable')
  observable(): Observable<unknown> {
    return of(1, 2, { email: 'obs@example.com' });
  }

  @Get('interval')
  @EmitLoopsEvent('fromInterval')
  ticks(): Observable<{ email: string }> {
    return interval(5).pipe(
      take(3),
      map((tick) => ({ email: `tick${tick}@example.com` })),
    );
  }

  @Get('promise')
  @EmitLoopsEvent('fromPromise')
  async promise(): Promise<{ email: string }> {
    await nextTick();
    return { email: 'promise@example.com' };
  }

  // A server-sent-events stream that ends with nothing to say: HTTP 200, a success.
  @Sse('feed')
  @EmitLoopsEvent({ eventName: 'feedOpened', contact: () => ({ email: 'sse@example.com' }) })
  feed(): Observable<MessageEvent> {
    return EMPTY;
  }

  // Nest answers 500 ("no elements in sequence") when an HTTP handler's Observable completes without a value.
  @Get('observable-empty')
  @EmitLoopsEvent({ eventName: 'fromEmpty', contact: () => ({ email: 'empty@example.com' }) })
  observableEmpty(): Observable<{ email: string }> {
    return EMPTY;
  }

  @Get('observable-empty-awaited')
  @EmitLoopsEvent({ eventName: 'fromEmptyInBackground', contact: () => ({ email: 'empty@example.com' }) })
  @EmitLoopsEvent({ eventName: 'fromEmptyAwaited', mode: 'await', contact: () => ({ email: 'empty@example.com' }) })
  observableEmptyAwaited(): Observable<{ email: string }> {
    return EMPTY;
  }

  @Get('observable-error')
  @EmitLoopsEvent('fromFailedObservable')
  observableError(): Observable<unknown> {
    return concat(
      of({ email: 'stream@example.com' }),
      throwError(() => new HttpException({ code: 'STREAM_FAILED' }, 502)),
    );
  }
}

/** A subclass that finds the contact in an `x-account` header before falling back to the default. */
@Injectable()
class AccountHeaderInterceptor extends LoopsEventInterceptor {
  protected override resolveContact(ctx: LoopsEventContext): LoopsEventContact | undefined {
    const account = (ctx.request as { headers: Record<string, unknown> }).headers['x-account'];
    return typeof account === 'string' ? { userId: account } : super.resolveContact(ctx);
  }
}

@Controller()
class SignupRpcController {
  @MessagePattern('signup')
  @EmitLoopsEvent({
    eventName: 'rpcSignup',
    contact: (ctx) => ({ email: (ctx.data as { email: string }).email }),
    eventProperties: (ctx) => ({ hasRequest: ctx.request !== undefined, type: ctx.context.getType() }),
  })
  signup(@Payload() data: { email: string }): { welcomed: string } {
    return { welcomed: data.email };
  }

  // An RPC handler may reply nothing: the call still succeeded.
  @MessagePattern('unsubscribe')
  @EmitLoopsEvent({ eventName: 'rpcUnsubscribe', contact: (ctx) => ({ email: (ctx.data as { email: string }).email }) })
  unsubscribe(): Observable<never> {
    return EMPTY;
  }
}

const ADAPTERS: Array<{ name: string; createAdapter: () => FastifyAdapter | undefined }> = [
  { name: 'Express', createAdapter: () => undefined },
  { name: 'Fastify', createAdapter: () => new FastifyAdapter() },
];

interface BootedApp {
  app: INestApplication;
  loops: LoopsEventsService;
  logger: CapturingLogger;
  /** Every outcome on `deliveries$`, subscribed before any request. */
  outcomes: LoopsDeliveryOutcome[];
  http: () => ReturnType<typeof request>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('@EmitLoopsEvent() end to end', () => {
  let server: LoopsCompatibleServer;
  const openApps: INestApplication[] = [];

  beforeAll(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  });

  afterEach(async () => {
    await Promise.all(openApps.splice(0).map((app) => app.close()));
    server.reset();
  });

  afterAll(async () => {
    await server.close();
  });

  const bodies = (): Record<string, unknown>[] => server.accepted.map((event) => event.body);

  describe.each(ADAPTERS)('on $name', ({ createAdapter }) => {
    async function boot(
      options: Partial<LoopsModuleOptions> = {},
      providers: Provider[] = [],
      controllers: Type[] = [EventsController],
    ): Promise<BootedApp> {
      const adapter = createAdapter();
      const { app, loops, logger } = await createLoopsTestingApp(server, options, { controllers, providers }, adapter);
      openApps.push(app);
      if (adapter) await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
      const outcomes: LoopsDeliveryOutcome[] = [];
      loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
      return { app, loops, logger, outcomes, http: () => request(app.getHttpServer()) };
    }

    describe('only after the handler succeeded', () => {
      it('a handler that throws sends nothing, and its own error reaches the client untouched', async () => {
        const { http, loops, outcomes } = await boot();
        const response = await http().post('/throws').send({ email: 'a@example.com' });
        expect(response.status).toBe(418);
        expect(response.body).toEqual({ code: 'TEAPOT', detail: 'the handler failed' });
        await loops.flush();
        expect(server.requests).toHaveLength(0);
        expect(outcomes).toEqual([]);
      });
    });

    describe('background mode (default)', () => {
      it('answers the client before Loops (answering after 2 s) accepted the event, which still arrives', async () => {
        const { http, loops, outcomes } = await boot();
        server.script({ kind: 'delay', ms: 2000 });
        const response = await http().post('/signup').send({ email: 'slow@example.com' });
        expect(response.status).toBe(201);
        expect(response.body).toEqual({ email: 'slow@example.com', created: true });
        expect(server.accepted).toHaveLength(0);
        expect(loops.pendingCount).toBe(1);

        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'signup', email: 'slow@example.com' }]);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', eventName: 'signup', attempts: 1 })]);
      });

      it('a Loops failure does not change the response; it is reported as failed', async () => {
        const { http, loops, outcomes, logger } = await boot();
        server.script({ kind: 'status', status: 400, body: { success: false, message: 'bad' } });
        const response = await http().post('/signup').send({ email: 'fail@example.com' });
        expect(response.status).toBe(201);
        expect(response.body).toEqual({ email: 'fail@example.com', created: true });
        await loops.flush();
        expect(server.accepted).toHaveLength(0);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'failed', eventName: 'signup', attempts: 1 })]);
        const [failed] = outcomes as LoopsFailedOutcome[];
        expect(failed.error).toBeInstanceOf(LoopsApiError);
        expect((failed.error as LoopsApiError).status).toBe(400);
        expect(logger.texts('error').some((line) => line.includes('"signup"') && line.includes('bad'))).toBe(true);
      });
    });

    describe('await mode', () => {
      it('waits: the event is accepted by the time the response arrives', async () => {
        const { http } = await boot();
        server.script({ kind: 'delay', ms: 300 });
        const response = await http().post('/signup-await').send({ email: 'wait@example.com' });
        expect(response.status).toBe(201);
        expect(response.body).toEqual({ email: 'wait@example.com', created: true });
        expect(bodies()).toEqual([{ eventName: 'signupAwaited', email: 'wait@example.com' }]);
      });

      it('fails the request (500) when Loops answers 400', async () => {
        const { http } = await boot();
        server.script({ kind: 'status', status: 400, body: { success: false, message: 'bad' } });
        const response = await http().post('/signup-await').send({ email: 'rejected@example.com' });
        expect(response.status).toBe(500);
        expect(response.body).toEqual({ statusCode: 500, message: 'Internal server error' });
        expect(server.accepted).toHaveLength(0);
      });

      it('fails the request (500) when Loops answers 503 and retry is off', async () => {
        const { http } = await boot({ retry: false });
        server.respondWith(() => ({ kind: 'status', status: 503, body: { success: false, message: 'down' } }));
        const response = await http().post('/signup-await').send({ email: 'down@example.com' });
        expect(response.status).toBe(500);
        expect(server.eventRequests()).toHaveLength(1);
        expect(server.accepted).toHaveLength(0);
      });

      it('fails the request (500) when no contact is found, and reports it as dropped', async () => {
        const { http, outcomes, logger } = await boot();
        const response = await http().post('/no-contact-await');
        expect(response.status).toBe(500);
        expect(server.requests).toHaveLength(0);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'dropped', eventName: 'orphanAwaited' })]);
        expect(logger.texts('warn').some((line) => line.includes('EventsController.noContactAwait'))).toBe(true);
      });
    });

    it('two stacked decorators send two events, in the order written', async () => {
      // One worker, so that the queue's order is the order Loops sees.
      const { http, loops } = await boot({ queue: { concurrency: 1 } });
      await http().post('/stacked').send({ email: 'two@example.com' }).expect(201);
      await loops.flush();
      expect(bodies()).toEqual([
        { eventName: 'accountCreated', email: 'two@example.com' },
        { eventName: 'welcomeSeries', mailingLists: { welcome: true }, email: 'two@example.com' },
      ]);
    });

    describe('when', () => {
      it('returning false sends nothing', async () => {
        const { http, loops, outcomes } = await boot();
        await http().post('/never').send({ email: 'no@example.com' }).expect(201);
        await http().post('/conditional').send({ email: 'no@example.com', join: false }).expect(201);
        await loops.flush();
        expect(server.requests).toHaveLength(0);
        expect(outcomes).toEqual([]);
      });

      it('returning true sends the event', async () => {
        const { http, loops } = await boot();
        await http().post('/conditional').send({ email: 'yes@example.com', join: true }).expect(201);
        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'newsletterJoined', email: 'yes@example.com' }]);
      });
    });

    describe('default contact', () => {
      const sendAs = async (user: unknown, path = '/profile', body: object = {}) => {
        const booted = await boot();
        await booted.http().post(path).set('x-user', JSON.stringify(user)).send(body).expect(201);
        await booted.loops.flush();
        return bodies();
      };

      it('request.user.email when the result has no contact', async () => {
        expect(await sendAs({ email: 'user@example.com' })).toEqual([
          { eventName: 'profileUpdated', email: 'user@example.com' },
        ]);
      });

      it('request.user.id when there is no userId (numbers become strings)', async () => {
        expect(await sendAs({ id: 42 })).toEqual([{ eventName: 'profileUpdated', userId: '42' }]);
      });

      it('request.user.userId before request.user.id', async () => {
        expect(await sendAs({ userId: 'u-1', id: 42, email: 'both@example.com' })).toEqual([
          { eventName: 'profileUpdated', email: 'both@example.com', userId: 'u-1' },
        ]);
      });

      it('result.email wins over request.user', async () => {
        expect(await sendAs({ email: 'user@example.com', id: 7 }, '/signup', { email: 'result@example.com' })).toEqual([
          { eventName: 'signup', email: 'result@example.com' },
        ]);
      });

      it('result.userId is used too', async () => {
        expect(await sendAs({ email: 'user@example.com' }, '/signup', { userId: 'from-result' })).toEqual([
          { eventName: 'signup', userId: 'from-result' },
        ]);
      });
    });

    describe('mappers', () => {
      it('contact, eventProperties, contactProperties and mailingLists as functions of ctx', async () => {
        const { http, loops } = await boot();
        const body: PlanBody = { accountId: 'acct-9', plan: 'pro', seats: 5 };
        await http().post('/plan').send(body).expect(201, body);
        await loops.flush();
        expect(bodies()).toEqual([
          {
            eventName: 'planChanged',
            plan: 'pro',
            trialEndsAt: null,
            eventProperties: { plan: 'pro', seats: 5 },
            mailingLists: { 'plan-pro': true },
            userId: 'acct-9',
          },
        ]);
      });

      it('eventProperties, contactProperties and mailingLists as objects (Dates sent as ISO strings)', async () => {
        const { http, loops } = await boot();
        await http().post('/newsletter').send({ email: 'news@example.com' }).expect(201);
        await loops.flush();
        expect(bodies()).toEqual([
          {
            eventName: 'newsletterSignup',
            source: 'footer',
            eventProperties: { source: 'footer', confirmed: false, score: 3, at: '2026-01-02T03:04:05.000Z' },
            mailingLists: { weekly: true, promo: false },
            email: 'news@example.com',
          },
        ]);
      });

      it('idempotencyKey from ctx: a repeated request is accepted once, the repeat reported as deduplicated', async () => {
        const { http, loops, outcomes, logger } = await boot();
        const order = { orderId: 'A-1', email: 'buyer@example.com' };
        await http().post('/orders').send(order).expect(201);
        await loops.flush();
        await http().post('/orders').send(order).expect(201);
        await loops.flush();

        expect(server.eventRequests().map((req) => req.headers['idempotency-key'])).toEqual(['order-A-1', 'order-A-1']);
        expect(server.eventRequests().map((req) => req.status)).toEqual([200, 409]);
        expect(server.accepted).toEqual([
          expect.objectContaining({
            idempotencyKey: 'order-A-1',
            body: { eventName: 'orderPlaced', email: 'buyer@example.com' },
          }),
        ]);
        expect(outcomes).toEqual([
          expect.objectContaining({ status: 'sent', idempotencyKey: 'order-A-1', attempts: 1, deduplicated: false }),
          expect.objectContaining({ status: 'sent', idempotencyKey: 'order-A-1', attempts: 1, deduplicated: true }),
        ]);
        expect(logger.texts('error')).toEqual([]);
        expect(logger.texts('log')).toContainEqual(
          expect.stringContaining('Loops event "orderPlaced" (order-A-1) was accepted earlier; not sent again'),
        );
      });
    });

    describe('events that cannot be built are dropped, the response unaffected', () => {
      it.each([
        ['no contact found', '/no-contact', 'orphan', 'EventsController.noContact', /no contact found/, { ok: true }],
        [
          'a mapper that throws',
          '/mapper-throws',
          'brokenMapper',
          'EventsController.mapperThrows',
          /the contact mapper broke/,
          { ok: true },
        ],
        [
          'an eventName with a colon',
          '/bad-name',
          'bad:name',
          'EventsController.badName',
          /eventName/,
          { ok: true, email: 'bad-name@example.com' },
        ],
        [
          'an eventProperties value that is an object',
          '/bad-property',
          'badProperty',
          'EventsController.badProperty',
          /eventProperties/,
          { ok: true, email: 'bad-property@example.com' },
        ],
      ])('%s', async (_case, path, eventName, handler, reason, result) => {
        const { http, loops, outcomes, logger } = await boot();
        const response = await http().post(path);
        expect(response.status).toBe(201);
        expect(response.body).toEqual(result);
        await loops.flush();

        expect(server.requests).toHaveLength(0);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'dropped', eventName, error: expect.any(Error) })]);
        expect((outcomes[0] as LoopsDroppedOutcome).error.message).toMatch(reason);
        const warnings = logger.texts('warn').filter((line) => line.includes(handler));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(`"${eventName}"`);
        expect(warnings[0]).toMatch(reason);
      });

      it('an invalid event is dropped with a LoopsValidationError', async () => {
        const { http, outcomes } = await boot();
        await http().post('/bad-property').expect(201);
        expect(outcomes).toEqual([
          expect.objectContaining({ status: 'dropped', error: expect.any(LoopsValidationError) }),
        ]);
      });
    });

    describe('handler results', () => {
      it('an Observable sends exactly once, with its last value as ctx.result', async () => {
        const { http, loops, outcomes, logger } = await boot();
        await http().get('/observable').expect(200, { email: 'obs@example.com' });
        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'fromObservable', email: 'obs@example.com' }]);
        // Nothing was attempted for the values before the last (they carry no contact, so would be dropped).
        expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', eventName: 'fromObservable' })]);
        expect(logger.texts('warn')).toEqual([]);
      });

      it('an interval Observable taking 3 sends once, for its last value', async () => {
        const { http, loops, outcomes } = await boot();
        await http().get('/interval').expect(200, { email: 'tick2@example.com' });
        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'fromInterval', email: 'tick2@example.com' }]);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', eventName: 'fromInterval' })]);
      });

      it('a Promise result works', async () => {
        const { http, loops } = await boot();
        await http().get('/promise').expect(200, { email: 'promise@example.com' });
        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'fromPromise', email: 'promise@example.com' }]);
      });

      it('an Observable that completes without a value fails the request (Nest answers 500) and sends nothing', async () => {
        const { http, loops, outcomes, logger } = await boot();
        await http().get('/observable-empty').expect(500);
        await http().get('/observable-empty-awaited').expect(500);
        await loops.flush();
        expect(server.requests).toHaveLength(0);
        expect(outcomes).toEqual([]);
        expect(logger.texts('warn')).toEqual([]);
      });

      it('an @Sse() stream that ends without an event succeeds, and its event is sent', async () => {
        const { http, loops, outcomes } = await boot();
        const response = await http().get('/feed').expect(200);
        expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'feedOpened', email: 'sse@example.com' }]);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', eventName: 'feedOpened' })]);
      });

      it('an Observable that errors sends nothing, even after emitting a value; its error passes through', async () => {
        const { http, loops, outcomes } = await boot();
        const response = await http().get('/observable-error');
        expect(response.status).toBe(502);
        expect(response.body).toEqual({ code: 'STREAM_FAILED' });
        await loops.flush();
        expect(server.requests).toHaveLength(0);
        expect(outcomes).toEqual([]);
      });
    });

    describe('global registration', () => {
      const globalInterceptor = (useClass: Type<LoopsEventInterceptor>): Provider => ({
        provide: APP_INTERCEPTOR,
        useClass,
      });

      it('LoopsEventInterceptor registered globally as well as by the decorator sends once', async () => {
        const { http, loops } = await boot({ queue: { concurrency: 1 } }, [globalInterceptor(LoopsEventInterceptor)]);
        await http().post('/signup').send({ email: 'once@example.com' }).expect(201);
        await http().post('/stacked').send({ email: 'twice@example.com' }).expect(201);
        await loops.flush();
        expect(bodies().map((body) => body.eventName)).toEqual(['signup', 'accountCreated', 'welcomeSeries']);
      });

      it('a subclass overriding resolveContact, registered globally, handles the call before the base', async () => {
        const { http, loops, outcomes, logger } = await boot({}, [globalInterceptor(AccountHeaderInterceptor)]);
        await http().post('/no-contact').set('x-account', 'acct-7').expect(201, { ok: true });
        await loops.flush();
        expect(bodies()).toEqual([{ eventName: 'orphan', userId: 'acct-7' }]);
        expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', eventName: 'orphan' })]);
        expect(logger.texts('warn')).toEqual([]);
      });
    });
  });

  describe('RPC (microservice) handler', () => {
    /** Sends one message to the app's TCP microservice; resolves to every value of the reply, once it is flushed. */
    async function callRpc(pattern: string, data: unknown): Promise<unknown[]> {
      const port = await freePort();
      const { app, loops } = await createLoopsTestingApp(server, {}, { controllers: [SignupRpcController] });
      openApps.push(app);
      app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
      await app.startAllMicroservices();

      const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
      try {
        const reply = await lastValueFrom(client.send(pattern, data).pipe(toArray()));
        await loops.flush();
        return reply;
      } finally {
        await client.close();
      }
    }

    it('sends the event with the contact from ctx.data, and no request', async () => {
      expect(await callRpc('signup', { email: 'rpc@example.com' })).toEqual([{ welcomed: 'rpc@example.com' }]);
      expect(bodies()).toEqual([
        { eventName: 'rpcSignup', eventProperties: { hasRequest: false, type: 'rpc' }, email: 'rpc@example.com' },
      ]);
    });

    it('sends the event of a handler that replies nothing: for RPC, that is a success', async () => {
      expect(await callRpc('unsubscribe', { email: 'quiet@example.com' })).toEqual([]);
      expect(bodies()).toEqual([{ eventName: 'rpcUnsubscribe', email: 'quiet@example.com' }]);
    });
  });
});

describe('a subclass hook that throws', () => {
  @Injectable()
  class BrokenRequestInterceptor extends LoopsEventInterceptor {
    protected override getRequest(): unknown {
      throw new Error('no request here');
    }
  }

  @Controller()
  class HookController {
    @Post('hook')
    @EmitLoopsEvent('hooked')
    hook(): { email: string } {
      return { email: 'hook@example.com' };
    }
  }

  it('drops the background event and leaves the response alone', async () => {
    const server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    const { app, loops, logger } = await createLoopsTestingApp(
      server,
      {},
      { controllers: [HookController], providers: [{ provide: APP_INTERCEPTOR, useClass: BrokenRequestInterceptor }] },
    );
    const outcomes: LoopsDeliveryOutcome[] = [];
    loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
    await request(app.getHttpServer()).post('/hook').expect(201, { email: 'hook@example.com' });
    await loops.flush();
    expect(outcomes).toEqual([expect.objectContaining({ status: 'dropped', eventName: 'hooked' })]);
    expect(logger.texts('warn')).toEqual([
      expect.stringContaining('HookController.hook was not sent: no request here'),
    ]);
    expect(server.requests).toHaveLength(0);
    await app.close();
    await server.close();
  });
});

describe('await mode with an idempotency key or an invalid event', () => {
  @Controller()
  class AwaitController {
    @Post('orders')
    @EmitLoopsEvent<{ orderId: string; email: string }>({
      eventName: 'orderPaid',
      idempotencyKey: ({ result }) => `order-${result.orderId}`,
      mode: 'await',
    })
    pay(@Body() body: { orderId: string; email: string }) {
      return body;
    }

    @Post('bad')
    @EmitLoopsEvent({ eventName: 'bad:name', mode: 'await' })
    bad() {
      return { email: 'bad@example.com' };
    }
  }

  let server: LoopsCompatibleServer;
  let testing: Awaited<ReturnType<typeof createLoopsTestingApp>>;
  beforeEach(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    testing = await createLoopsTestingApp(server, {}, { controllers: [AwaitController] });
  });
  afterEach(async () => {
    await testing.app.close();
    await server.close();
  });

  it("a client's retry of the request answers as the first did; Loops got the event once", async () => {
    const order = { orderId: 'B-7', email: 'buyer@example.com' };
    await request(testing.app.getHttpServer()).post('/orders').send(order).expect(201, order);
    await request(testing.app.getHttpServer()).post('/orders').send(order).expect(201, order);
    expect(server.eventRequests().map((req) => req.status)).toEqual([200, 409]);
    expect(server.acceptedCount('order-B-7')).toBe(1);
  });

  it('an invalid built event fails the request, is reported dropped and warned about', async () => {
    const outcomes: LoopsDeliveryOutcome[] = [];
    testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
    await request(testing.app.getHttpServer()).post('/bad').expect(500);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'dropped', eventName: 'bad:name', error: expect.any(LoopsValidationError) }),
    ]);
    expect(testing.logger.texts('warn')).toEqual([expect.stringContaining('AwaitController.bad was not sent')]);
    expect(server.requests).toHaveLength(0);
  });
});
