import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  InjectLoopsOptions,
  LOOPS_MODULE_OPTIONS,
  LoopsConfigurationError,
  LoopsContactsService,
  LoopsEventInterceptor,
  LoopsEventsService,
  LoopsModule,
  type LoopsModuleOptions,
  type LoopsOptionsFactory,
  LoopsTransactionalService,
} from '../lib';
import { LOOPS_RESOLVED_OPTIONS } from '../lib/loops-options';
import { loadOptionalPeer } from '../lib/utils/load-optional-peer';
import { CapturingLogger } from './support/capturing-logger';
import { resolveInAFeatureModule } from './support/resolve-in-a-feature-module';

const SECRET_KEY = 'sk_live_do-not-print-me-0123456789';

@Injectable()
class ConfigLoopsOptions implements LoopsOptionsFactory {
  createLoopsOptions(): LoopsModuleOptions {
    return { apiKey: 'from-class', dryRun: true };
  }
}

@Module({ providers: [ConfigLoopsOptions], exports: [ConfigLoopsOptions] })
class OptionsFactoryModule {}

@Injectable()
class OptionsReader {
  constructor(@InjectLoopsOptions() readonly options: LoopsModuleOptions) {}
}

/** A feature module that does not import LoopsModule itself. */
@Controller()
class FeatureController {
  constructor(@Inject(LoopsEventsService) readonly loops: LoopsEventsService) {}
  @Get()
  ping(): string {
    return 'pong';
  }
}
@Module({ controllers: [FeatureController] })
class FeatureModule {}

async function compile(imports: unknown[]) {
  return Test.createTestingModule({ imports: imports as never[] }).compile();
}

describe('LoopsModule', () => {
  describe('forRoot', () => {
    it('provides LoopsEventsService and the options as given', async () => {
      const options = { apiKey: 'key-1', timeoutMs: 2_000 };
      const moduleRef = await Test.createTestingModule({
        imports: [LoopsModule.forRoot(options)],
        providers: [OptionsReader],
      }).compile();
      expect(moduleRef.get(LoopsEventsService)).toBeInstanceOf(LoopsEventsService);
      expect(moduleRef.get(OptionsReader).options).toEqual(options);
      // What the module runs on: the given options, defaults filled in.
      expect(moduleRef.get(LOOPS_RESOLVED_OPTIONS)).toMatchObject({
        apiKey: 'key-1',
        timeoutMs: 2_000,
        shutdownTimeoutMs: 10_000,
      });
      await moduleRef.close();
    });

    it("names its options token readably in Nest's error when a module injects the options without it", async () => {
      const error = await Test.createTestingModule({ providers: [OptionsReader] })
        .compile()
        .catch((thrown: unknown) => thrown);
      expect(String((error as Error).message)).toContain('LOOPS_MODULE_OPTIONS');
    });
  });

  describe('forRootAsync', () => {
    it('useFactory with ConfigService from @nestjs/config', async () => {
      const moduleRef = await compile([
        LoopsModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ LOOPS_API_KEY: 'from-config' })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ apiKey: config.getOrThrow<string>('LOOPS_API_KEY') }),
        }),
      ]);
      expect(moduleRef.get(LOOPS_MODULE_OPTIONS)).toEqual({ apiKey: 'from-config' });
      expect(moduleRef.get(LoopsEventsService)).toBeInstanceOf(LoopsEventsService);
      await moduleRef.close();
    });

    it('useClass', async () => {
      const moduleRef = await compile([LoopsModule.forRootAsync({ useClass: ConfigLoopsOptions })]);
      expect(moduleRef.get(LOOPS_MODULE_OPTIONS)).toEqual({ apiKey: 'from-class', dryRun: true });
      await moduleRef.close();
    });

    it('useExisting', async () => {
      const moduleRef = await compile([
        LoopsModule.forRootAsync({ imports: [OptionsFactoryModule], useExisting: ConfigLoopsOptions }),
      ]);
      expect(moduleRef.get(LOOPS_MODULE_OPTIONS)).toEqual({ apiKey: 'from-class', dryRun: true });
      await moduleRef.close();
    });

    it.each(['isGlobal', 'extraProviders'])(
      '%s returned by the factory stops the app, saying it goes beside useFactory',
      async (extra) => {
        const compiling = compile([
          LoopsModule.forRootAsync({ useFactory: () => ({ apiKey: 'k', [extra]: [] }) as LoopsModuleOptions }),
        ]);
        await expect(compiling).rejects.toThrow(LoopsConfigurationError);
        await expect(compiling).rejects.toThrow(
          `Invalid LoopsModule option "${extra}": is an option of forRootAsync itself, beside useFactory`,
        );
      },
    );

    it('extraProviders are registered in the module', async () => {
      const moduleRef = await compile([
        LoopsModule.forRootAsync({
          useFactory: (key: string) => ({ apiKey: key }),
          inject: ['EXTRA_KEY'],
          extraProviders: [{ provide: 'EXTRA_KEY', useValue: 'from-extra' }],
        }),
      ]);
      expect(moduleRef.get(LOOPS_MODULE_OPTIONS)).toEqual({ apiKey: 'from-extra' });
      await moduleRef.close();
    });
  });

  describe('global registration', () => {
    it('is global by default: a module that never imports it can inject the service', async () => {
      const moduleRef = await compile([LoopsModule.forRoot({ apiKey: 'k' }), FeatureModule]);
      expect(moduleRef.get(FeatureController).loops).toBeInstanceOf(LoopsEventsService);
      await moduleRef.close();
    });

    it('exports every service an app injects: events, transactional emails, contacts, the interceptor', async () => {
      const services = [LoopsEventsService, LoopsTransactionalService, LoopsContactsService, LoopsEventInterceptor];
      const { resolved, moduleRef } = await resolveInAFeatureModule(LoopsModule.forRoot({ apiKey: 'k' }), services);
      resolved.forEach((service, index) => expect(service).toBeInstanceOf(services[index]));
      await moduleRef.close();
    });

    it('isGlobal: true on forRootAsync is global too', async () => {
      const moduleRef = await compile([
        LoopsModule.forRootAsync({ isGlobal: true, useFactory: () => ({ apiKey: 'k' }) }),
        FeatureModule,
      ]);
      expect(moduleRef.get(FeatureController).loops).toBeInstanceOf(LoopsEventsService);
      await moduleRef.close();
    });

    it.each([
      ['forRoot', () => LoopsModule.forRoot({ apiKey: 'k', isGlobal: false })],
      ['forRootAsync', () => LoopsModule.forRootAsync({ isGlobal: false, useFactory: () => ({ apiKey: 'k' }) })],
    ])('isGlobal: false (%s) keeps it out of modules that do not import it', async (_name, register) => {
      expect(register().global).toBe(false);
      await expect(compile([register(), FeatureModule])).rejects.toThrow(/LoopsEventsService/);
    });

    it('isGlobal: false, the value forRoot returned imported where it is used: one service for the app', async () => {
      const loopsModule = LoopsModule.forRoot({ apiKey: 'k', isGlobal: false });
      @Module({ imports: [loopsModule], controllers: [FeatureController] })
      class ImportingFeatureModule {}

      const moduleRef = await compile([loopsModule, ImportingFeatureModule]);

      expect(moduleRef.get(FeatureController).loops).toBe(moduleRef.get(LoopsEventsService));
      await moduleRef.close();
    });
  });

  describe('option validation at bootstrap', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['missing apiKey', { apiKey: undefined }, /"apiKey": is required/],
      ['empty apiKey', { apiKey: '' }, /"apiKey": is required/],
      ['blank apiKey', { apiKey: '   ' }, /"apiKey": is required/],
      ['apiKey with a line break', { apiKey: 'abc\ndef' }, /"apiKey": must not contain spaces, line breaks/],
      ['non-string apiKey', { apiKey: 42 }, /"apiKey": is required and must be a non-empty string/],
      ['baseUrl not a URL', { baseUrl: 'not a url' }, /"baseUrl": must be an absolute URL/],
      ['baseUrl ftp', { baseUrl: 'ftp://example.com/api' }, /"baseUrl": must be an http\(s\) URL/],
      [
        'plain http to a remote host',
        { baseUrl: 'http://app.loops.so/api/v1' },
        /"baseUrl": plain http:\/\/ is only allowed for loopback/,
      ],
      [
        'baseUrl with credentials',
        { baseUrl: 'https://u:p@example.com/api' },
        /"baseUrl": must not contain credentials/,
      ],
      ['negative timeoutMs', { timeoutMs: -1 }, /"timeoutMs": must be a whole number of milliseconds >= 1 \(got -1\)/],
      [
        'non-numeric timeoutMs',
        { timeoutMs: '10s' },
        /"timeoutMs": must be a whole number of milliseconds \(got a string\)/,
      ],
      ['NaN timeoutMs', { timeoutMs: Number.NaN }, /"timeoutMs": must be a whole number of milliseconds \(got NaN\)/],
      // The shared rate limit's slots expire after timeoutMs in Redis, which refuses a fractional expiry.
      [
        'fractional timeoutMs',
        { timeoutMs: 1500.5 },
        /"timeoutMs": must be a whole number of milliseconds \(got 1500.5\)/,
      ],
      ['retry.attempts 0', { retry: { attempts: 0 } }, /"retry.attempts": must be an integer >= 1/],
      ['retry.attempts 1.5', { retry: { attempts: 1.5 } }, /"retry.attempts": must be an integer/],
      [
        'negative retry.minDelayMs',
        { retry: { minDelayMs: -5 } },
        /"retry.minDelayMs": must be a whole number of milliseconds >= 0/,
      ],
      [
        'maxDelayMs below minDelayMs',
        { retry: { minDelayMs: 100, maxDelayMs: 10 } },
        /"retry.maxDelayMs": must be a whole number of milliseconds >= 100/,
      ],
      ['retry not an object', { retry: true }, /"retry": must be an object/],
      [
        'rateLimit 0',
        { rateLimit: { requestsPerSecond: 0 } },
        /"rateLimit.requestsPerSecond": must be a finite number >= 0.001/,
      ],
      ['queue.concurrency 0', { queue: { concurrency: 0 } }, /"queue.concurrency": must be an integer >= 1/],
      ['queue.maxPending negative', { queue: { maxPending: -1 } }, /"queue.maxPending": must be an integer >= 1/],
      [
        'negative shutdownTimeoutMs',
        { shutdownTimeoutMs: -1 },
        /"shutdownTimeoutMs": must be a whole number of milliseconds >= 0/,
      ],
      ['dryRun not boolean', { dryRun: 'yes' }, /"dryRun": must be a boolean/],
      ['a misspelt option', { timeout: 5 }, /"timeout": is not an option \(did you mean "timeoutMs"\?\)/],
      ['an option in the wrong case', { apikey: 'k' }, /"apikey": is not an option \(did you mean "apiKey"\?\)/],
      ['an unknown option', { color: 'blue' }, /"color": is not an option$/],
      [
        'a misspelt retry option',
        { retry: { attempt: 3 } },
        /"retry.attempt": is not an option \(did you mean "attempts"\?\)/,
      ],
      [
        'a misspelt rateLimit option',
        { rateLimit: { requestPerSecond: 5 } },
        /"rateLimit.requestPerSecond": is not an option \(did you mean "requestsPerSecond"\?\)/,
      ],
      [
        'a misspelt queue option',
        { queue: { concurency: 2 } },
        /"queue.concurency": is not an option \(did you mean "concurrency"\?\)/,
      ],
      [
        'a BullMQ option on the memory queue',
        { delivery: { queue: 'memory', queueName: 'x' } },
        /"delivery.queueName": is an option of BullMQ delivery: add queue: 'bullmq'$/,
      ],
      [
        "a Redis connection without queue: 'bullmq'",
        { delivery: { connection: 'redis://127.0.0.1:6379' } },
        /"delivery.connection": is an option of BullMQ delivery: add queue: 'bullmq'$/,
      ],
      ['an unknown delivery option', { delivery: { color: 'blue' } }, /"delivery.color": is not an option$/],
      [
        'a misspelt BullMQ option',
        { delivery: { queue: 'bullmq', connection: {}, queuename: 'x' } },
        /"delivery.queuename": is not an option \(did you mean "queueName"\?\)/,
      ],
      [
        'a misspelt retention option',
        { delivery: { queue: 'bullmq', connection: {}, retention: { completed: { maxAge: 1 } } } },
        /"delivery.retention.completed.maxAge": is not an option \(did you mean "maxAgeMs"\?\)/,
      ],
      [
        'timeoutMs beyond what a timer can wait',
        { timeoutMs: 3e9 },
        /"timeoutMs": must be at most 2147483647, the longest Node's timers can wait \(got 3000000000\)/,
      ],
      [
        'sendTimeoutMs beyond the timer limit',
        { sendTimeoutMs: 2 ** 31 },
        /"sendTimeoutMs": must be at most 2147483647/,
      ],
      [
        'retry.maxDelayMs beyond the timer limit',
        { retry: { maxDelayMs: 1e10 } },
        /"retry.maxDelayMs": must be at most/,
      ],
      ['shutdownTimeoutMs beyond the timer limit', { shutdownTimeoutMs: 1e12 }, /"shutdownTimeoutMs": must be at most/],
      [
        'verifyTimeoutMs beyond the timer limit',
        { verifyTimeoutMs: 3e9 },
        /"verifyTimeoutMs": must be at most 2147483647/,
      ],
      [
        'delivery.lockDurationMs beyond the timer limit',
        { delivery: { queue: 'bullmq', connection: {}, lockDurationMs: 3e9 } },
        /"delivery.lockDurationMs": must be at most/,
      ],
      [
        'requestsPerSecond beyond what the limiter is built for',
        { rateLimit: { requestsPerSecond: 1e6 } },
        /"rateLimit.requestsPerSecond": must be at most 1000 \(got 1000000\)/,
      ],
      ['http not an object', { http: 'proxy' }, /"http": must be an object/],
      ['rateLimit not an object', { rateLimit: 10 }, /"rateLimit": must be an object \(got 10\)/],
      ['queue not an object', { queue: [] }, /"queue": must be an object \(got an array\)/],
      [
        'baseUrl with a query',
        { baseUrl: 'https://example.com/api?x=1' },
        /"baseUrl": must not contain credentials, a query/,
      ],
      ['delivery not an object', { delivery: 'bullmq' }, /"delivery": must be an object/],
      ['unknown delivery.queue', { delivery: { queue: 'sqs' } }, /"delivery.queue": must be 'memory' or 'bullmq'/],
      [
        'bullmq without connection',
        { delivery: { queue: 'bullmq' } },
        /"delivery.connection": is required with BullMQ/,
      ],
      [
        'bad delivery.queueName',
        { delivery: { queue: 'bullmq', connection: {}, queueName: 'a b' } },
        /"delivery.queueName": must be letters, digits/,
      ],
      [
        'empty delivery.prefix',
        { delivery: { queue: 'bullmq', connection: {}, prefix: '' } },
        /"delivery.prefix": must be a non-empty string/,
      ],
      [
        'zero delivery.enqueueTimeoutMs',
        { delivery: { queue: 'bullmq', connection: {}, enqueueTimeoutMs: 0 } },
        /"delivery.enqueueTimeoutMs": must be a whole number of milliseconds >= 1/,
      ],
      [
        'tiny delivery.lockDurationMs',
        { delivery: { queue: 'bullmq', connection: {}, lockDurationMs: 10 } },
        /"delivery.lockDurationMs": must be a whole number of milliseconds >= 100/,
      ],
      [
        // BullMQ counts a retention age in whole seconds, and an age of 0 is no retention.
        'zero retention maxAgeMs',
        { delivery: { queue: 'bullmq', connection: {}, retention: { completed: { maxAgeMs: 0 } } } },
        /"delivery.retention.completed.maxAgeMs": must be an integer >= 1000/,
      ],
      [
        'retention maxAgeMs below a second',
        { delivery: { queue: 'bullmq', connection: {}, retention: { completed: { maxAgeMs: 999 } } } },
        /"delivery.retention.completed.maxAgeMs": must be an integer >= 1000/,
      ],
      [
        'fractional retention maxAgeMs',
        { delivery: { queue: 'bullmq', connection: {}, retention: { completed: { maxAgeMs: 86_400_000.5 } } } },
        /"delivery.retention.completed.maxAgeMs": must be an integer \(got 86400000.5\)/,
      ],
      [
        // Redis refuses a fractional expiry halfway through BullMQ's scripts, leaving the job active without a lock.
        'fractional delivery.lockDurationMs',
        { delivery: { queue: 'bullmq', connection: {}, lockDurationMs: 1000.5 } },
        /"delivery.lockDurationMs": must be a whole number of milliseconds \(got 1000.5\)/,
      ],
    ];

    it.each(cases)('%s stops the app with an error naming the option', async (_name, overrides, message) => {
      const options = { apiKey: SECRET_KEY, ...overrides } as LoopsModuleOptions;
      const error = await compile([LoopsModule.forRoot(options)]).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(LoopsConfigurationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(SECRET_KEY);
    });

    it('also fails forRootAsync, and the log of the failed boot never shows the key', async () => {
      const logger = new CapturingLogger();
      const error = await Test.createTestingModule({
        imports: [LoopsModule.forRootAsync({ useFactory: () => ({ apiKey: SECRET_KEY, timeoutMs: -3 }) })],
      })
        .setLogger(logger)
        .compile()
        .catch((thrown: unknown) => thrown);
      expect((error as LoopsConfigurationError).option).toBe('timeoutMs');
      expect(JSON.stringify(logger.lines)).not.toContain(SECRET_KEY);
      expect(String((error as Error).stack)).not.toContain(SECRET_KEY);
    });

    it.each([
      'http://localhost:3000/api/v1',
      'http://127.0.0.1:9/api/v1',
      'http://[::1]:9/api/v1',
      'https://loops.example.com/api/v1',
    ])('accepts baseUrl %s', async (baseUrl) => {
      const moduleRef = await compile([LoopsModule.forRoot({ apiKey: 'k', baseUrl })]);
      expect(moduleRef.get(LOOPS_RESOLVED_OPTIONS).baseUrl).toBe(baseUrl);
      await moduleRef.close();
    });

    it('needs no apiKey in dryRun mode', async () => {
      const moduleRef = await compile([LoopsModule.forRoot({ dryRun: true })]);
      expect(moduleRef.get(LoopsEventsService)).toBeInstanceOf(LoopsEventsService);
      await moduleRef.close();
    });
  });
});

describe('optional peers', () => {
  it('names the missing package and the option that needs it', () => {
    expect(() => loadOptionalPeer('nestjs-loops-no-such-peer', 'delivery.queue')).toThrow(
      new LoopsConfigurationError(
        'delivery.queue',
        'needs the optional peer dependency "nestjs-loops-no-such-peer": npm install nestjs-loops-no-such-peer',
      ),
    );
  });

  it('names, with it, the missing peers the same option needs, so that one install is enough', () => {
    expect(() =>
      loadOptionalPeer('nestjs-loops-no-such-peer', 'delivery.queue', ['rxjs', 'nestjs-loops-gone']),
    ).toThrow(
      new LoopsConfigurationError(
        'delivery.queue',
        'needs the optional peer dependencies "nestjs-loops-no-such-peer" and "nestjs-loops-gone": ' +
          'npm install nestjs-loops-no-such-peer nestjs-loops-gone',
      ),
    );
  });
});
