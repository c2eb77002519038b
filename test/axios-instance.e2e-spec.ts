import { HttpModule, HttpService } from '@nestjs/axios';
import { Controller, HttpCode, INestApplication, Injectable, Module, OnModuleInit, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import axios, { type AxiosAdapter, type AxiosInstance } from 'axios';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  EmitLoopsEvent,
  LoopsConfigurationError,
  LoopsContactsService,
  LoopsEventsService,
  LoopsModule,
  type LoopsModuleOptions,
  LoopsNetworkError,
  LoopsRateLimitError,
} from '../lib';
import { CapturingLogger } from './support/capturing-logger';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';

const API_KEY = 'sk_test_axios-instance-spec-KEY';
const event = { eventName: 'signedUp', email: 'ada@example.com' };

/** An app's outbound tracing: an interceptor on its HttpService that records and tags every request. */
@Injectable()
class OutboundTracing implements OnModuleInit {
  readonly seen: string[] = [];

  constructor(private readonly http: HttpService) {}

  onModuleInit(): void {
    this.http.axiosRef.interceptors.request.use((config) => {
      this.seen.push(`${config.method?.toUpperCase()} ${config.url}`);
      config.headers.set('X-Trace-Id', `trace-${this.seen.length}`);
      return config;
    });
  }
}

/** The app's HTTP setup, as its other modules import it. */
@Module({
  imports: [HttpModule.register({ headers: { 'X-Calling-App': 'billing' } })],
  providers: [OutboundTracing],
  exports: [HttpModule, OutboundTracing],
})
class OutboundHttpModule {}

@Controller('signups')
class SignupsController {
  @Post()
  @HttpCode(201)
  @EmitLoopsEvent({ eventName: 'signedUp', contact: () => ({ email: 'ada@example.com' }) })
  create(): { ok: true } {
    return { ok: true };
  }
}

let server: LoopsCompatibleServer;
const apps: INestApplication[] = [];
const loopsOptions = (): LoopsModuleOptions => ({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: false });

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ apiKey: API_KEY, rateLimitPerSecond: 0 });
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  server.reset();
});
afterAll(async () => {
  await server.close();
});

async function bootApp(loops: ReturnType<typeof LoopsModule.forRoot>): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [OutboundHttpModule, loops],
    controllers: [SignupsController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app;
}

async function bootWithInstance(axiosInstance: AxiosInstance): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(server, { apiKey: API_KEY, retry: false, axiosInstance });
  apps.push(testing.app);
  return testing;
}

describe("an app's HttpModule, passed as axiosInstance from forRootAsync", () => {
  it("sends a decorated route's event through the app's axios instance: its interceptor and headers apply", async () => {
    const app = await bootApp(
      LoopsModule.forRootAsync({
        imports: [OutboundHttpModule],
        inject: [HttpService],
        useFactory: (http: HttpService) => ({ ...loopsOptions(), axiosInstance: http.axiosRef }),
      }),
    );

    await request(app.getHttpServer()).post('/signups').expect(201);
    await expect(app.get(LoopsEventsService).flush(10_000)).resolves.toBe(true);

    expect(app.get(OutboundTracing).seen).toEqual([`POST ${server.baseUrl}/events/send`]);
    expect(server.accepted.map((accepted) => accepted.body)).toEqual([
      { eventName: 'signedUp', email: 'ada@example.com' },
    ]);
    expect(server.eventRequests()[0].headers).toMatchObject({
      'x-trace-id': 'trace-1',
      'x-calling-app': 'billing',
      authorization: `Bearer ${API_KEY}`,
    });
  });
});

describe("without axiosInstance, the module's own axios instance", () => {
  it("is not the global axios nor the app's HttpService: their interceptors never see the key", async () => {
    const globalSeen: string[] = [];
    const interceptor = axios.interceptors.request.use((config) => {
      globalSeen.push(String(config.headers.Authorization));
      return config;
    });
    try {
      const app = await bootApp(LoopsModule.forRoot(loopsOptions()));
      await request(app.getHttpServer()).post('/signups').expect(201);
      await expect(app.get(LoopsEventsService).flush(10_000)).resolves.toBe(true);

      expect(server.accepted).toHaveLength(1);
      expect(globalSeen).toEqual([]);
      expect(app.get(OutboundTracing).seen).toEqual([]);
      expect(server.eventRequests()[0].headers['x-calling-app']).toBeUndefined();
    } finally {
      axios.interceptors.request.eject(interceptor);
    }
  });
});

describe("the defaults of an app's axios instance cannot change what is sent", () => {
  it('keeps the URL, the body, Authorization and the status handling ours', async () => {
    const instance = axios.create({
      baseURL: 'http://127.0.0.1:9/elsewhere',
      allowAbsoluteUrls: false,
      auth: { username: 'app', password: 'app-password' },
      headers: { Authorization: 'Bearer app-token' },
      transformRequest: [() => JSON.stringify({ eventName: 'rewritten', userId: 'someone-else' })],
      validateStatus: (status) => status === 299,
      timeout: 1,
    });
    const { loops } = await bootWithInstance(instance);

    await expect(loops.sendEvent(event)).resolves.toMatchObject({ success: true, attempts: 1 });

    const [sent] = server.eventRequests();
    expect(sent.path).toBe('/api/v1/events/send');
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(server.accepted[0].body).toEqual(event);
  });

  it("sends no Idempotency-Key from the instance's defaults: events carry their own, contact calls none", async () => {
    const instance = axios.create({ headers: { 'idempotency-key': 'app-wide' } });
    instance.defaults.headers.post['Idempotency-Key'] = 'app-wide-post';
    instance.defaults.headers.put['IDEMPOTENCY-KEY'] = 'app-wide-put';
    const { app, loops } = await bootWithInstance(instance);
    const contacts = app.get(LoopsContactsService);

    const { idempotencyKey } = await loops.sendEvent(event);
    await contacts.updateContact({ userId: 'u', properties: { plan: 'pro' } });
    await contacts.createContact({ email: 'grace@example.com' });
    await contacts.findContact({ userId: 'u' });

    expect(server.requests.map((sent) => `${sent.method} ${sent.headers['idempotency-key']}`)).toEqual([
      `POST ${idempotencyKey}`,
      'PUT undefined',
      'POST undefined',
      'GET undefined',
    ]);
  });

  it("adds none of the instance's query parameters to the URL", async () => {
    const urls: string[] = [];
    const recorder = createServer((req, res) => {
      urls.push(String(req.url));
      req
        .resume()
        .once('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}'));
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = recorder.address() as AddressInfo;
      const testing = await createLoopsTestingApp(server, {
        apiKey: API_KEY,
        baseUrl: `http://127.0.0.1:${port}/api/v1`,
        retry: false,
        axiosInstance: axios.create({ params: { tenant: 'acme' } }),
      });
      apps.push(testing.app);

      await expect(testing.loops.sendEvent(event)).resolves.toMatchObject({ success: true });
      expect(urls).toEqual(['/api/v1/events/send']);
    } finally {
      recorder.closeAllConnections();
      await new Promise((resolve) => recorder.close(resolve));
    }
  });

  it("uses Node's http adapter and transport, not a custom adapter or transport of the instance", async () => {
    const adapter = jest.fn<ReturnType<AxiosAdapter>, Parameters<AxiosAdapter>>();
    const transport = { request: jest.fn() };
    const { loops } = await bootWithInstance(axios.create({ adapter, transport }));

    await expect(loops.sendEvent(event)).resolves.toMatchObject({ success: true });

    expect(adapter).not.toHaveBeenCalled();
    expect(transport.request).not.toHaveBeenCalled();
    expect(server.accepted).toHaveLength(1);
  });

  it("reports a response interceptor that replaced the response, instead of reading a status that isn't there", async () => {
    const instance = axios.create();
    instance.interceptors.response.use((response) => response.data as never);
    const { loops } = await bootWithInstance(instance);

    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect((error as Error).message).toContain('one of its response interceptors replaced it');
    // Loops did get the event: a retry with the same idempotency key would be answered 409 and count as delivered.
    expect(server.accepted).toHaveLength(1);
  });

  it("reads Loops' headers whatever case a response interceptor gave their names", async () => {
    const instance = axios.create();
    instance.interceptors.response.use((response) => {
      response.headers = Object.fromEntries(
        Object.entries(response.headers).map(([name, value]) => [name.replace(/(^|-)x/g, '$1X'), value]),
      ) as never;
      return response;
    });
    const { loops } = await bootWithInstance(instance);
    server.script({
      kind: 'status',
      status: 429,
      headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' },
    });

    const error = await loops.sendEvent(event).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(LoopsRateLimitError);
    expect(error).toMatchObject({ limit: 10, remaining: 0 });
  });

  it("keeps the key out of errors and logs when the instance's interceptor throws with it in its message", async () => {
    const instance = axios.create();
    instance.interceptors.request.use((config) => {
      throw new Error(`proxy refused ${String(config.headers.Authorization)}`);
    });
    const testing = await bootWithInstance(instance);

    const error = (await testing.loops.sendEvent(event).catch((thrown: unknown) => thrown)) as LoopsNetworkError;
    testing.loops.enqueueEvent(event);
    await testing.loops.flush(10_000);

    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error.message).toContain('proxy refused Bearer [redacted]');
    const texts = [error.message, String(error.stack), String(error.cause), ...testing.logger.texts()];
    expect(texts.join('\n')).not.toContain(API_KEY);
    expect(testing.logger.texts('error')).toEqual([expect.stringContaining('proxy refused Bearer [redacted]')]);
    expect(server.requests).toHaveLength(0);
  });
});

describe("an instance's interceptor that never settles", () => {
  /** A token refresh that hangs, say: the request never reaches the adapter, so the abort signal is never read. */
  function hangingInstance(): AxiosInstance {
    const instance = axios.create();
    instance.interceptors.request.use(() => new Promise<never>(() => undefined));
    return instance;
  }

  it('is cut off at timeoutMs on each attempt, awaited and queued, and shutdown still finishes', async () => {
    const testing = await createLoopsTestingApp(server, {
      apiKey: API_KEY,
      retry: false,
      axiosInstance: hangingInstance(),
      timeoutMs: 200,
      shutdownTimeoutMs: 300,
    });
    const outcomes: string[] = [];
    testing.loops.deliveries$.subscribe((outcome) =>
      outcomes.push(outcome.status === 'sent' ? 'sent' : `${outcome.status}: ${outcome.error.message}`),
    );

    const error = await testing.loops.sendEvent(event).catch((thrown: unknown) => thrown);
    testing.loops.enqueueEvent(event);
    await testing.app.close();

    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'Loops did not answer within 200 ms' });
    expect(outcomes).toEqual(['failed: Loops did not answer within 200 ms']);
    expect(server.requests).toHaveLength(0);
  });

  it("doesn't hold the boot past verifyTimeoutMs, nor the key check of a health probe past timeoutMs", async () => {
    const testing = await createLoopsTestingApp(server, {
      apiKey: API_KEY,
      axiosInstance: hangingInstance(),
      timeoutMs: 200,
      verify: 'error',
      verifyTimeoutMs: 200,
    });
    apps.push(testing.app);

    const status = await testing.loops.apiKeyStatus();

    expect(testing.logger.texts('warn')).toEqual([
      expect.stringContaining(
        'Could not check the Loops account at start-up (no answer within 200 ms); starting anyway',
      ),
    ]);
    expect(status).toMatchObject({ state: 'unknown', reason: 'Loops could not be reached: no answer within 200 ms' });
  });
});

describe('the axiosInstance option is checked at boot', () => {
  const compile = async (axiosInstance: unknown): Promise<unknown> => {
    const logger = new CapturingLogger();
    return Test.createTestingModule({
      imports: [
        LoopsModule.forRoot({ apiKey: API_KEY, axiosInstance: axiosInstance as LoopsModuleOptions['axiosInstance'] }),
      ],
    })
      .setLogger(logger)
      .compile()
      .then(async (moduleRef) => {
        await moduleRef.close();
        return undefined;
      })
      .catch((thrown: unknown) => thrown);
  };

  it('names axiosRef when given the HttpService itself', async () => {
    // The same instance under two typings: this file reads axios's CommonJS ones, @nestjs/axios 12 its ESM ones.
    const http = new HttpService(axios.create() as unknown as ConstructorParameters<typeof HttpService>[0]);
    const error = await compile(http);
    expect(error).toBeInstanceOf(LoopsConfigurationError);
    expect((error as Error).message).toBe(
      'Invalid LoopsModule option "axiosInstance": must be an axios instance: pass httpService.axiosRef',
    );
  });

  it.each([
    ['an axios config object', { baseURL: 'https://example.com' }, 'an object'],
    ['a string', 'axios', 'a string'],
    ['null', null, 'null'],
    ['a plain function', () => undefined, 'a function'],
  ])('refuses %s', async (_name, value, got) => {
    const error = await compile(value);
    expect(error).toBeInstanceOf(LoopsConfigurationError);
    expect((error as LoopsConfigurationError).option).toBe('axiosInstance');
    expect((error as Error).message).toContain(`must be an axios instance, such as HttpService.axiosRef (got ${got}`);
  });

  it('accepts an axios instance and the default export', async () => {
    await expect(compile(axios.create())).resolves.toBeUndefined();
    await expect(compile(axios)).resolves.toBeUndefined();
  });
});
