/**
 * Without an OpenTelemetry SDK nothing changes: with @opentelemetry/api installed but nothing registered, and with
 * the package missing altogether. (No SDK is registered in this file.)
 */
import type { Type } from '@nestjs/common';
import type { LoopsPreparedRequest } from '../../lib/delivery/prepared-request';
import { MemoryBackgroundDelivery } from '../../lib/delivery/memory-background-delivery';
import { BullMqTestBed } from '../bullmq/support/bullmq-test-bed';
import { describeWithRedis } from '../support/with-redis';
import { LoopsCompatibleServer } from '../support/loops-server';
import { createLoopsTestingApp, TEST_API_KEY } from '../support/loops-testing-app';
import { RedisTestServer } from '../support/redis-server';

let server: LoopsCompatibleServer;

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
  jest.restoreAllMocks();
});

describe('@opentelemetry/api installed, no SDK registered', () => {
  it('in memory: the queued event carries no trace context, and is delivered as before', async () => {
    const queued: LoopsPreparedRequest[] = [];
    const enqueue = MemoryBackgroundDelivery.prototype.enqueue;
    jest.spyOn(MemoryBackgroundDelivery.prototype, 'enqueue').mockImplementation(function (
      this: MemoryBackgroundDelivery,
      event,
    ) {
      queued.push({ ...event });
      enqueue.call(this, event);
    });
    const { app, loops } = await createLoopsTestingApp(server);
    try {
      const key = loops.enqueueEvent({ eventName: 'digest', userId: 'u1' });
      await loops.flush();
      expect(queued).toEqual([
        {
          eventName: 'digest',
          idempotencyKey: key,
          keyChosenByCaller: false,
          body: '{"eventName":"digest","userId":"u1"}',
          enqueuedAt: expect.any(Number),
        },
      ]);
      expect(server.acceptedCount(key)).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describeWithRedis('@opentelemetry/api installed, no SDK registered, BullMQ', () => {
  it('the job data in Redis has no trace context', async () => {
    const redis = await RedisTestServer.start();
    const bed = new BullMqTestBed(redis, server);
    try {
      const { loops } = await bed.instance({}, { worker: false });
      const key = await loops.enqueueEventAsync({ eventName: 'digest', userId: 'u1' });
      const [job] = await bed.queue().getWaiting();
      expect(Object.keys(job.data).sort()).toEqual([
        'body',
        'earlier',
        'enqueueToken',
        'enqueuedAt',
        'eventName',
        'idempotencyKey',
        'keyChosenByCaller',
        'requests',
      ]);
      expect(job.data.idempotencyKey).toBe(key);
    } finally {
      await bed.tearDown();
      await redis.stop();
    }
  }, 30_000);
});

describe('@opentelemetry/api not installed', () => {
  /** The library, freshly loaded where requiring @opentelemetry/api fails with `error`. */
  function libraryWhere(error: Error): {
    lib: typeof import('../../lib');
    testing: typeof import('@nestjs/testing');
  } {
    let loaded: { lib: typeof import('../../lib'); testing: typeof import('@nestjs/testing') } | undefined;
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw error;
      });
      /* eslint-disable @typescript-eslint/no-require-imports */
      loaded = {
        lib: require('../../lib') as typeof import('../../lib'),
        testing: require('@nestjs/testing') as typeof import('@nestjs/testing'),
      };
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    return loaded as NonNullable<typeof loaded>;
  }

  async function boot(error: Error) {
    const { lib, testing } = libraryWhere(error);
    const moduleRef = await testing.Test.createTestingModule({
      imports: [
        lib.LoopsModule.forRoot({ apiKey: TEST_API_KEY, baseUrl: server.baseUrl, rateLimit: false, retry: false }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { app, loops: app.get(lib.LoopsEventsService as Type<InstanceType<typeof lib.LoopsEventsService>>) };
  }

  it('sends, queues, reports and answers status as usual', async () => {
    const missing = Object.assign(new Error("Cannot find module '@opentelemetry/api' from 'lib/telemetry'"), {
      code: 'MODULE_NOT_FOUND',
    });
    const { app, loops } = await boot(missing);
    try {
      const outcomes: string[] = [];
      loops.deliveries$.subscribe((outcome) => outcomes.push(outcome.status));
      await expect(loops.sendEvent({ eventName: 'receipt', userId: 'u1' })).resolves.toMatchObject({ attempts: 1 });
      loops.enqueueEvent({ eventName: 'digest', userId: 'u2' });
      await loops.flush();
      expect(outcomes).toEqual(['sent']);
      expect(server.accepted).toHaveLength(2);
      await expect(loops.queueStatus()).resolves.toMatchObject({ queue: 'memory', waiting: 0, active: 0 });
    } finally {
      await app.close();
    }
  });

  it('a broken install is not taken for a missing one', async () => {
    await expect(boot(new SyntaxError('Unexpected token in @opentelemetry/api'))).rejects.toThrow(
      'Unexpected token in @opentelemetry/api',
    );
  });
});
