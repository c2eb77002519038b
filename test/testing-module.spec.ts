import { Controller, INestApplication, Module, Param, Post } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  EmitLoopsEvent,
  LoopsApiError,
  LoopsAuthError,
  LoopsBackgroundDelivery,
  LoopsContactsService,
  LoopsEventsService,
  LoopsModule,
  LoopsNetworkError,
  LoopsTransactionalService,
  LoopsValidationError,
} from '../lib';
import { LoopsTestingModule, LoopsTestRecorder } from '../lib/testing';
import { ArrayQueue } from './support/array-queue';
import { resolveInAFeatureModule } from './support/resolve-in-a-feature-module';

@Controller('accounts')
class AccountsController {
  @Post(':id/upgrade')
  @EmitLoopsEvent<{ plan: string }>({ eventName: 'upgraded', eventProperties: (ctx) => ({ plan: ctx.result.plan }) })
  upgrade(@Param('id') id: string) {
    return { userId: id, email: `${id}@example.com`, plan: 'pro' };
  }
}

@Module({ controllers: [AccountsController] })
class AccountsModule {}

/**
 * An app module as users write it, talking to real Loops. `overrideModule` matches a dynamic module by
 * reference, so the app keeps the one it imports in a constant.
 */
const loopsModule = LoopsModule.forRootAsync({
  imports: [ConfigModule],
  inject: [ConfigService],
  useFactory: (config: ConfigService) => ({ apiKey: config.getOrThrow<string>('LOOPS_API_KEY') }),
});

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ LOOPS_API_KEY: 'real-key' })] }),
    loopsModule,
    AccountsModule,
  ],
})
class AppModule {}

describe('LoopsTestingModule', () => {
  let app: INestApplication;
  let loops: LoopsEventsService;
  let recorder: LoopsTestRecorder;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LoopsTestingModule.forRoot(), AccountsModule],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    loops = app.get(LoopsEventsService);
    recorder = app.get(LoopsTestRecorder);
  });
  afterEach(() => app.close());

  it('records the wire body and idempotency key of each event, nothing leaving the process', async () => {
    const result = await loops.sendEvent(
      {
        eventName: 'signup',
        email: 'ada@example.com',
        contactProperties: { firstName: 'Ada', company: null },
        eventProperties: { at: new Date('2026-02-03T04:05:06.000Z') },
      },
      { idempotencyKey: 'signup-ada' },
    );
    expect(result).toMatchObject({ success: true, idempotencyKey: 'signup-ada', attempts: 1 });
    expect(recorder.events).toEqual([
      {
        eventName: 'signup',
        idempotencyKey: 'signup-ada',
        body: {
          eventName: 'signup',
          email: 'ada@example.com',
          firstName: 'Ada',
          company: null,
          eventProperties: { at: '2026-02-03T04:05:06.000Z' },
        },
        headers: expect.objectContaining({ 'Idempotency-Key': 'signup-ada' }),
      },
    ]);
  });

  it('answers a reused idempotency key with 409, as Loops does: the second send is deduplicated', async () => {
    await loops.sendEvent({ eventName: 'a', userId: 'u' }, { idempotencyKey: 'k' });
    await expect(loops.sendEvent({ eventName: 'a', userId: 'u' }, { idempotencyKey: 'k' })).resolves.toMatchObject({
      deduplicated: true,
      attempts: 1,
    });
    expect(recorder.events).toHaveLength(1);
  });

  it('still rejects bad events, recording nothing', async () => {
    await expect(loops.sendEvent({ eventName: 'a:b' } as never)).rejects.toBeInstanceOf(LoopsValidationError);
    expect(() => loops.enqueueEvent({ eventName: 'x', email: 'nope' })).toThrow(LoopsValidationError);
    expect(recorder.events).toHaveLength(0);
  });

  it('waitFor resolves with a background event once it is delivered', async () => {
    const waiting = recorder.waitFor('welcome');
    loops.enqueueEvent({ eventName: 'welcome', userId: 'u1' });
    await expect(waiting).resolves.toMatchObject({
      eventName: 'welcome',
      body: { eventName: 'welcome', userId: 'u1' },
    });
    await expect(recorder.waitFor('welcome')).resolves.toMatchObject({ eventName: 'welcome' });
  });

  it('waitFor resolves with the first of the events of that name already sent', async () => {
    await loops.sendEvent({ eventName: 'welcome', userId: 'first' });
    await loops.sendEvent({ eventName: 'welcome', userId: 'second' });
    await expect(recorder.waitFor('welcome')).resolves.toMatchObject({ body: { userId: 'first' } });
  });

  it('waitFor waits up to a second by default, and resolves every waiter of the name', async () => {
    const first = recorder.waitFor('late');
    const second = recorder.waitFor('late');
    setTimeout(() => loops.enqueueEvent({ eventName: 'late', userId: 'u1' }), 300);
    await expect(Promise.all([first, second])).resolves.toEqual([
      expect.objectContaining({ eventName: 'late', body: { eventName: 'late', userId: 'u1' } }),
      expect.objectContaining({ eventName: 'late', body: { eventName: 'late', userId: 'u1' } }),
    ]);
  });

  it('waitFor with a timeoutMs longer than Node timers take waits instead of rejecting at once', async () => {
    const waiting = recorder.waitFor('late', { timeoutMs: Infinity });
    setTimeout(() => loops.enqueueEvent({ eventName: 'late', userId: 'u1' }), 50);
    await expect(waiting).resolves.toMatchObject({ eventName: 'late' });
  });

  it('waitFor rejects with a clear error when the event never comes', async () => {
    loops.enqueueEvent({ eventName: 'other', userId: 'u1' });
    await loops.flush();
    await expect(recorder.waitFor('welcome', { timeoutMs: 50 })).rejects.toThrow(
      'No Loops event "welcome" was sent within 50 ms (sent so far: other)',
    );
  });

  it('failNext scripts statuses and errors, then sends normally again', async () => {
    recorder.failNext(1, { status: 500, body: { success: false, message: 'boom' } });
    recorder.failNext(1, new LoopsNetworkError('socket hang up', 'ECONNRESET'));
    await expect(loops.sendEvent({ eventName: 'a', userId: 'u' })).rejects.toMatchObject({
      constructor: LoopsApiError,
      status: 500,
      loopsMessage: 'boom',
    });
    await expect(loops.sendEvent({ eventName: 'a', userId: 'u' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(loops.sendEvent({ eventName: 'a', userId: 'u' })).resolves.toMatchObject({ success: true });
    expect(recorder.events).toHaveLength(1);
  });

  it('a scripted 429 carries only the headers the test gave', async () => {
    recorder.failNext(1, { status: 429 });
    recorder.failNext(1, { status: 429, headers: { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '0' } });
    await expect(loops.sendEvent({ eventName: 'a', userId: 'u' })).rejects.toMatchObject({
      limit: undefined,
      remaining: undefined,
    });
    await expect(loops.sendEvent({ eventName: 'a', userId: 'u' })).rejects.toMatchObject({ limit: 20, remaining: 0 });
  });

  it('a scripted failure of a background event shows up on deliveries$', async () => {
    recorder.failNext(1, { status: 401 });
    const outcome = firstValueFrom(loops.deliveries$);
    loops.enqueueEvent({ eventName: 'a', userId: 'u' });
    await expect(outcome).resolves.toMatchObject({ status: 'failed', error: expect.any(LoopsAuthError) });
  });

  it('drives @EmitLoopsEvent routes', async () => {
    await request(app.getHttpServer()).post('/accounts/42/upgrade').expect(201);
    const event = await recorder.waitFor('upgraded');
    expect(event.body).toEqual({
      eventName: 'upgraded',
      email: '42@example.com',
      userId: '42',
      eventProperties: { plan: 'pro' },
    });
  });

  it('drives @EmitLoopsEvent routes under jest fake timers too, as enqueueEvent', async () => {
    jest.useFakeTimers();
    try {
      await request(app.getHttpServer()).post('/accounts/42/upgrade').expect(201);
      await expect(recorder.waitFor('upgraded')).resolves.toMatchObject({ body: { userId: '42' } });
    } finally {
      jest.useRealTimers();
    }
  });

  it('clear() forgets events and scripted failures', async () => {
    await loops.sendEvent({ eventName: 'a', userId: 'u' });
    recorder.failNext(1, { status: 503 });
    expect(recorder.events.map((event) => event.eventName)).toEqual(['a']);
    recorder.clear();
    expect(recorder.events).toEqual([]);
    // The scripted 503 is gone too: the next send is accepted at once.
    await expect(loops.sendEvent({ eventName: 'b', userId: 'u' })).resolves.toMatchObject({ attempts: 1 });
    expect(recorder.events.map((event) => event.eventName)).toEqual(['b']);
  });

  it('retries when asked to, against scripted failures', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LoopsTestingModule.forRoot({ retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } })],
    }).compile();
    const retrying = moduleRef.get(LoopsTestRecorder);
    retrying.failNext(2, { status: 503 });
    await expect(moduleRef.get(LoopsEventsService).sendEvent({ eventName: 'a', userId: 'u' })).resolves.toMatchObject({
      attempts: 3,
    });
    await moduleRef.close();
  });
});

describe('a module that does not import it', () => {
  it('injects every service it exports, as with LoopsModule: events, transactional emails, contacts, the recorder', async () => {
    const services = [LoopsEventsService, LoopsTransactionalService, LoopsContactsService, LoopsTestRecorder];
    const { resolved, moduleRef } = await resolveInAFeatureModule(LoopsTestingModule.forRoot(), services);
    resolved.forEach((service, index) => expect(service).toBeInstanceOf(services[index]));
    expect(resolved[0]).toBe(moduleRef.get(LoopsEventsService));
    await moduleRef.close();
  });
});

describe("a queue of the app's own", () => {
  it('given in extraProviders, it takes the events, delivered over the in-memory transport', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        LoopsTestingModule.forRoot({ extraProviders: [{ provide: LoopsBackgroundDelivery, useClass: ArrayQueue }] }),
      ],
    }).compile();
    await moduleRef.init();
    const loops = moduleRef.get(LoopsEventsService);
    loops.enqueueEvent({ eventName: 'queuedByTheApp', userId: 'u1' });
    await loops.flush();
    expect((moduleRef.get(LoopsBackgroundDelivery) as ArrayQueue).taken.map((event) => event.eventName)).toEqual([
      'queuedByTheApp',
    ]);
    expect(moduleRef.get(LoopsTestRecorder).events.map((event) => event.eventName)).toEqual(['queuedByTheApp']);
    await expect(loops.queueStatus()).resolves.toMatchObject({ queue: 'custom', waiting: 0 });
    await moduleRef.close();
  });
});

describe('replacing LoopsModule in an app module', () => {
  it('overrideModule swaps the LoopsModule.forRootAsync import for the testing module', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideModule(loopsModule)
      .useModule(LoopsTestingModule.forRoot())
      .compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const recorder = app.get(LoopsTestRecorder);
    const events = firstValueFrom(app.get(LoopsEventsService).deliveries$.pipe(take(1), toArray()));
    await request(app.getHttpServer()).post('/accounts/7/upgrade').expect(201);
    await expect(recorder.waitFor('upgraded')).resolves.toMatchObject({ body: { userId: '7' } });
    expect(await events).toEqual([expect.objectContaining({ status: 'sent', eventName: 'upgraded' })]);
    await app.close();
  });
});
