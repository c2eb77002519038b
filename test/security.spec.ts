import { Controller, HttpCode, Injectable, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { createGzip } from 'node:zlib';
import axios from 'axios';
import request from 'supertest';
import {
  EmitLoopsEvent,
  LoopsApiError,
  LoopsConfigurationError,
  LoopsContactsService,
  LoopsModule,
  LoopsNetworkError,
  LoopsTransport,
  type LoopsTransportRequest,
  type LoopsTransportResponse,
  type SendEventInput,
} from '../lib';
import { LOOPS_RESOLVED_OPTIONS } from '../lib/loops-options';
import { MAX_RESPONSE_BYTES } from '../lib/transport/http-loops-transport';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer, type LoopsServerAnswer } from './support/loops-server';

const MB = 1024 * 1024;
const HUNDRED_MB = 100 * MB;
const SECRET = 'sk_live_9fQ2-security-spec-SECRET';
const FULL_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const event: SendEventInput = { eventName: 'signup', email: 'grace.hopper@example.com' };

@Controller('routes')
class RoutesController {
  @Post('background')
  @HttpCode(200)
  @EmitLoopsEvent({ eventName: 'routeBackground', contact: () => ({ email: 'ada.lovelace@example.com' }) })
  background(): { ok: true } {
    return { ok: true };
  }

  @Post('awaited')
  @HttpCode(200)
  @EmitLoopsEvent({ eventName: 'routeAwaited', mode: 'await', contact: () => ({ email: 'alan.turing@example.com' }) })
  awaited(): { ok: true } {
    return { ok: true };
  }

  @Post('dropped')
  @HttpCode(200)
  @EmitLoopsEvent({
    eventName: 'routeDropped',
    contact: () => ({ email: 'katherine.johnson@example.com' }),
    eventProperties: () => ({ bad: { nested: true } }) as never,
  })
  dropped(): { ok: true } {
    return { ok: true };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What every test printed or threw: scanned after each test for the API key and for whole email addresses.

const apps: LoopsTestingApp[] = [];
/** Texts of errors caught in the current test: message, stack, cause, and (unless told) the full inspection. */
let errorTexts: string[] = [];

function remember(error: unknown, { inspectFully = true } = {}): unknown {
  const texts = [String(error)];
  if (error instanceof Error) {
    texts.push(error.stack ?? '', String(error.cause), (error.cause as Error | undefined)?.stack ?? '');
  }
  if (inspectFully) texts.push(inspect(error, { depth: 3 }), JSON.stringify(error) ?? '');
  errorTexts.push(...texts);
  return error;
}

async function failureOf(promise: Promise<unknown>, options?: { inspectFully?: boolean }): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => remember(error, options) as Error,
  );
}

async function boot(
  server: LoopsCompatibleServer,
  options: Parameters<typeof createLoopsTestingApp>[1] = {},
): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(
    server,
    { apiKey: SECRET, retry: false, ...options },
    { controllers: [RoutesController] },
  );
  apps.push(testing);
  return testing;
}

let loopsServer: LoopsCompatibleServer;
beforeAll(async () => {
  loopsServer = await LoopsCompatibleServer.start({ apiKey: SECRET, rateLimitPerSecond: 0 });
});
afterEach(async () => {
  const closing = apps.splice(0);
  await Promise.all(closing.map((testing) => testing.app.close()));
  loopsServer.reset();
  const lines = closing.flatMap((testing) => testing.logger.texts());
  const everything = [...lines, ...errorTexts].join('\n');
  errorTexts = [];
  expect(everything).not.toContain(SECRET);
  // The logs name contacts as `j***@example.com`, never whole.
  expect(lines.join('\n').match(FULL_EMAIL)).toBeNull();
});
afterAll(async () => {
  await loopsServer.close();
});

// ---------------------------------------------------------------------------------------------------------------
// Hostile servers, written with node:http (and node:net where HTTP itself is abused).

interface HostileServer {
  baseUrl: string;
  /** Headers of every request received. */
  requests: IncomingHttpHeaders[];
  /** Bytes written to each connection, by the time it closed. */
  bytesWritten: number[];
  /** Connections closed so far. */
  closedConnections: number;
  close(): Promise<void>;
}

async function listen(server: Server | NetServer, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

async function hostileServer(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<HostileServer> {
  const server = createServer((req, res) => {
    hostile.requests.push(req.headers);
    req.resume();
    req.once('end', () => handle(req, res));
  });
  const hostile: HostileServer = {
    baseUrl: '',
    requests: [],
    bytesWritten: [],
    closedConnections: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket: Socket) =>
    socket.once('close', () => {
      hostile.bytesWritten.push(socket.bytesWritten);
      hostile.closedConnections++;
    }),
  );
  hostile.baseUrl = `http://${host}:${await listen(server, host)}/api/v1`;
  return hostile;
}

/** A TCP server speaking raw bytes, for answers node:http would not send. */
async function rawServer(onConnection: (socket: Socket) => void): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      raw.closedConnections++;
    });
    raw.requests.push({});
    // Reads (and ignores) the request, so that the client hanging up is seen at once.
    socket.resume();
    onConnection(socket);
  });
  const raw: HostileServer = {
    baseUrl: '',
    requests: [],
    bytesWritten: [],
    closedConnections: 0,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  raw.baseUrl = `http://127.0.0.1:${await listen(server, '127.0.0.1')}/api/v1`;
  return raw;
}

/** Writes `total` bytes in 64 KiB chunks as fast as the client reads them; stops when the connection closes. */
function stream(res: ServerResponse, total: number, chunk = Buffer.alloc(64 * 1024, 'a')): void {
  let sent = 0;
  let closed = false;
  res.once('close', () => (closed = true));
  const pump = (): void => {
    while (!closed && sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!closed) res.end();
  };
  pump();
}

/** `size` spaces, gzipped (about 1 000 : 1), built from one 1 MB buffer. */
async function gzipBomb(size: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on('data', (part: Buffer) => parts.push(part));
  const ended = once(gzip, 'end');
  const chunk = Buffer.alloc(MB, ' ');
  for (let written = 0; written < size; written += chunk.length) {
    if (!gzip.write(chunk)) await once(gzip, 'drain');
  }
  gzip.end();
  await ended;
  return Buffer.concat(parts);
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(10);
  expect(check()).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------------

describe('the API key and email addresses stay out of logs and errors', () => {
  const faults: Array<[string, LoopsServerAnswer]> = [
    ['400', { kind: 'status', status: 400, body: { success: false, message: 'Invalid event' } }],
    ['401', { kind: 'status', status: 401, body: { success: false, message: 'Invalid API key' } }],
    ['403', { kind: 'status', status: 403, body: { success: false, error: 'Forbidden' } }],
    ['404', { kind: 'status', status: 404, rawBody: 'Not found' }],
    ['409', { kind: 'status', status: 409, body: { success: false, message: 'Duplicate' } }],
    ['429', { kind: 'status', status: 429, headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' } }],
    ['500 HTML', { kind: 'status', status: 500, rawBody: '<html><body>Internal Server Error</body></html>' }],
    ['502', { kind: 'status', status: 502 }],
    ['503', { kind: 'status', status: 503, body: { success: false, message: 'Down for maintenance' } }],
    ['a dropped connection', { kind: 'drop' }],
    ['accept-then-drop', { kind: 'accept-then-drop' }],
    ['an answer slower than timeoutMs', { kind: 'delay', ms: 1_000 }],
  ];

  it.each(faults)('%s: through sendEvent, enqueueEvent and both decorated routes', async (_name, answer) => {
    const testing = await boot(loopsServer, { timeoutMs: 200 });
    for (let index = 0; index < 4; index++) loopsServer.script(answer);
    await failureOf(testing.loops.sendEvent(event));
    testing.loops.enqueueEvent(event);
    await testing.loops.flush();
    expect((await request(testing.app.getHttpServer()).post('/routes/background')).status).toBe(200);
    expect((await request(testing.app.getHttpServer()).post('/routes/awaited')).status).toBe(500);
    await testing.loops.flush();
    // The key travels in the Authorization header only.
    const carriers = loopsServer.requests.filter((req) => req.rawBody.includes(SECRET) || req.path.includes(SECRET));
    expect(carriers).toEqual([]);
    // Every fault, a 409 to a generated key included (a conflict), fails the background event and the route's.
    const failures = testing.logger.texts('error').filter((line) => line.includes('failed after 1 attempt(s)'));
    expect(failures).toEqual([
      expect.stringContaining('g***@example.com'),
      expect.stringContaining('a***@example.com'),
    ]);
  });

  it("masks every shape of address isEmail accepts: quoted, holding !, ', / or {}, at a domain in any script", async () => {
    const addresses = [
      '"jane.doe"@example.com',
      "mary.o'neil@example.com",
      'john!doe@example.com',
      'ann/lee@example.com',
      'j{ane}@example.com',
      // Devanagari vowel signs are marks, not letters: a letters-only domain pattern let these through whole.
      'rahul@example.भारत',
      'priya@हिंदी.com',
    ];
    for (const dryRun of [true, 'verbose'] as const) {
      const testing = await boot(loopsServer, { dryRun });
      for (const email of addresses) await testing.loops.sendEvent({ ...event, email });
      const log = testing.logger.texts('log').join('\n');
      for (const part of ['ane.doe', "o'neil", 'ary.o', '!doe', 'n/lee', '{ane}', 'ahul', 'riya']) {
        expect(log).not.toContain(part);
      }
      // Quoted, the quotes stay (escaped in the JSON of a verbose line): "j***"@example.com.
      expect(log).toMatch(/"j\*\*\*\\?"@example\.com/);
      for (const masked of ['m***@', 'j***@', 'a***@']) expect(log).toContain(`${masked}example.com`);
    }
  });

  it('validation errors, dropped events, dry runs, a refused connection, a wrong key and a shutdown', async () => {
    const testing = await boot(loopsServer);
    await failureOf(testing.loops.sendEvent({ eventName: 'a:b', email: 'not an email' } as SendEventInput));
    await failureOf(testing.loops.sendEvent(event, { idempotencyKey: `${SECRET}\r\n` }));
    expect((await request(testing.app.getHttpServer()).post('/routes/dropped')).status).toBe(200);
    expect(testing.logger.texts('warn')).toEqual([expect.stringContaining('"routeDropped"')]);

    const dryRun = await boot(loopsServer, { dryRun: 'verbose' });
    await dryRun.loops.sendEvent(event, { idempotencyKey: `welcome-${event.email}` });
    expect(dryRun.logger.texts('log').join('\n')).toContain('"email":"g***@example.com"');
    // The key names the contact; the line masks it like any address.
    expect(dryRun.logger.texts('log').join('\n')).toContain('(w***@example.com)');

    const wrongKey = await boot(loopsServer, { apiKey: `${SECRET}-revoked` });
    await failureOf(wrongKey.loops.sendEvent(event));

    const gone = await LoopsCompatibleServer.start();
    await gone.close();
    const refused = await boot(gone);
    expect(await failureOf(refused.loops.sendEvent(event))).toBeInstanceOf(LoopsNetworkError);

    const stuck = await boot(loopsServer, { shutdownTimeoutMs: 50 });
    loopsServer.respondWith(() => ({ kind: 'delay', ms: 2_000 }));
    stuck.loops.enqueueEvent(event);
    stuck.loops.enqueueEvent({ ...event, email: 'mary.jackson@example.com' });
    await stuck.app.close();
    expect(stuck.logger.texts('error').join('\n')).toContain('could not be delivered within shutdownTimeoutMs');
  });

  it.each([
    ['an invalid timeoutMs', { timeoutMs: -1 }],
    ['a line break after the key', { apiKey: `${SECRET}\n` }],
    ['a space in the key', { apiKey: `${SECRET} x` }],
    ['an http:// baseUrl to another host', { baseUrl: 'http://example.com/api/v1' }],
    ['credentials in the baseUrl', { baseUrl: `https://user:${SECRET}@example.com/api/v1` }],
  ])('a configuration error for %s does not echo the key', async (_name, options) => {
    const compiling = Test.createTestingModule({
      imports: [LoopsModule.forRoot({ apiKey: SECRET, ...options })],
    }).compile();
    expect(await failureOf(compiling)).toBeInstanceOf(LoopsConfigurationError);
  });

  it('a server quoting the Authorization header in its error does not get the key into a message or a log', async () => {
    const testing = await boot(loopsServer);
    loopsServer.respondWith((req) => ({
      kind: 'status',
      status: 400,
      body: { success: false, message: `Bad request (authorization: ${String(req.headers.authorization)})` },
    }));
    // The error's `body` is the server's answer as received; its message and the log lines are what get printed.
    const error = await failureOf(testing.loops.sendEvent(event), { inspectFully: false });
    expect(error).toBeInstanceOf(LoopsApiError);
    expect(error.message).not.toContain(SECRET);
    testing.loops.enqueueEvent(event);
    await testing.loops.flush();
    expect(testing.logger.texts('error')).toEqual([expect.stringContaining('failed after 1 attempt(s)')]);
    expect(testing.logger.texts().join('\n')).not.toContain(SECRET);
  });

  it('a server quoting the key twice in one message gets it into neither place', async () => {
    const testing = await boot(loopsServer);
    loopsServer.respondWith((req) => {
      const authorization = String(req.headers.authorization);
      return {
        kind: 'status',
        status: 400,
        body: { success: false, message: `${authorization} is not ${authorization}` },
      };
    });
    const error = await failureOf(testing.loops.sendEvent(event), { inspectFully: false });
    expect(error.message).toContain('Bearer [redacted] is not Bearer [redacted]');
  });

  it('a gateway echoing the header as an object key, or as a JSON string to a contact call: redacted all the same', async () => {
    const testing = await boot(loopsServer);
    const outcomes: unknown[] = [];
    testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
    loopsServer.respondWith((req) => ({
      kind: 'status',
      status: 400,
      body: { success: false, flagged: { [`authorization: ${String(req.headers.authorization)}`]: 'blocked' } },
    }));
    const error = await failureOf(testing.loops.sendEvent(event));
    expect((error as LoopsApiError).body).toEqual({
      success: false,
      flagged: { 'authorization: Bearer [redacted]': 'blocked' },
    });
    testing.loops.enqueueEvent(event);
    await testing.loops.flush();
    expect(JSON.stringify(outcomes)).toContain('Bearer [redacted]');
    remember(outcomes);

    loopsServer.respondWith((req) => ({ kind: 'status', status: 200, body: String(req.headers.authorization) }));
    const contacts = testing.app.get(LoopsContactsService);
    expect(await failureOf(contacts.findContact({ email: 'ada@example.com' }))).toMatchObject({
      body: 'Bearer [redacted]',
    });
    await failureOf(contacts.createContact({ email: 'ada@example.com' }));
  });

  /** What an app may write: plain axios, its error passed on as it comes, the request's config and headers in it. */
  @Injectable()
  class PlainAxiosTransport extends LoopsTransport {
    async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
      const response = await axios.request({ ...request, data: request.body, validateStatus: () => true });
      return { status: response.status, headers: response.headers as Record<string, string>, body: response.data };
    }
  }

  /** One whose error message quotes the request's headers. */
  @Injectable()
  class QuotingTransport extends LoopsTransport {
    send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
      return Promise.reject(new Error(`no route for ${JSON.stringify(request.headers)}`));
    }
  }

  /** One that keeps the contract, a LoopsNetworkError when no answer came, with its HTTP client's error as cause. */
  @Injectable()
  class ContractTransport extends LoopsTransport {
    private readonly plain = new PlainAxiosTransport();

    async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
      try {
        return await this.plain.send(request);
      } catch (error) {
        throw new LoopsNetworkError('No answer from the gateway', (error as { code?: string }).code, error);
      }
    }
  }

  it.each([
    ["its HTTP client's error, the request's config in it", PlainAxiosTransport, 'ECONNREFUSED'],
    ['an error quoting the headers', QuotingTransport, 'Bearer [redacted]'],
    ["a LoopsNetworkError, its HTTP client's error as cause", ContractTransport, 'No answer from the gateway'],
  ])("a transport of the app's own rejecting with %s: the key is not kept", async (_what, transport, kept) => {
    const gone = await LoopsCompatibleServer.start();
    await gone.close();
    const testing = await boot(gone, { extraProviders: [{ provide: LoopsTransport, useClass: transport }] });
    const error = await failureOf(testing.loops.sendEvent(event));
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error.message).toContain(kept);
    const status = await testing.loops.apiKeyStatus();
    expect(status).toMatchObject({ state: 'unknown', reason: expect.stringContaining(kept) });
    remember(status);
  });
});

describe('an http:// baseUrl is refused at boot unless the host is loopback', () => {
  const compile = (baseUrl: string) =>
    Test.createTestingModule({ imports: [LoopsModule.forRoot({ apiKey: SECRET, baseUrl })] }).compile();

  it.each([
    'http://app.loops.so/api/v1',
    'HTTP://APP.LOOPS.SO/api/v1',
    'http://example.com',
    'http://10.0.0.5:3000/api/v1',
    'http://192.168.1.20/api/v1',
    'http://0.0.0.0:8080/api/v1',
    'http://localhost.evil.example/api/v1',
    'http://127.0.0.1.nip.io/api/v1',
    'http://[2001:db8::1]/api/v1',
  ])('%s', async (baseUrl) => {
    const error = await failureOf(compile(baseUrl));
    expect(error).toBeInstanceOf(LoopsConfigurationError);
    expect(error).toMatchObject({ option: 'baseUrl' });
    expect(error.message).toContain('https://');
  });

  it('also through forRootAsync', async () => {
    const compiling = Test.createTestingModule({
      imports: [LoopsModule.forRootAsync({ useFactory: () => ({ apiKey: SECRET, baseUrl: 'http://example.com' }) })],
    }).compile();
    expect(await failureOf(compiling)).toMatchObject({ option: 'baseUrl' });
  });

  it.each(['http://localhost:3000/api/v1', 'http://127.0.0.1:3000/api/v1', 'http://[::1]:3000/api/v1'])(
    'accepts loopback %s',
    async (baseUrl) => {
      const moduleRef = await compile(baseUrl);
      expect(moduleRef.get(LOOPS_RESOLVED_OPTIONS).baseUrl).toBe(baseUrl);
      await moduleRef.close();
    },
  );
});

describe('a hostile server cannot hurt the app', () => {
  let hostile: HostileServer | undefined;
  let other: HostileServer | undefined;
  afterEach(async () => {
    await hostile?.close();
    await other?.close();
    hostile = other = undefined;
  });

  describe('huge bodies: no more than MAX_RESPONSE_BYTES is read', () => {
    it.each([200, 500])('a 100 MB answer with status %i', async (status) => {
      hostile = await hostileServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        stream(res, HUNDRED_MB);
      });
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsNetworkError);
      expect(error.message).toContain(`maxContentLength size of ${MAX_RESPONSE_BYTES} exceeded`);
      // The client hung up: the server never got to write its 100 MB (loopback buffers hold a few MB).
      await eventually(() => hostile?.closedConnections === 1);
      expect(hostile.bytesWritten[0]).toBeLessThan(16 * MB);
    });

    it("a 100 MB answer through an app's axios instance that sets no limit of its own", async () => {
      hostile = await hostileServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        stream(res, HUNDRED_MB);
      });
      const axiosInstance = axios.create({ adapter: 'fetch', maxContentLength: -1, maxBodyLength: -1 });
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl, axiosInstance });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsNetworkError);
      expect(error.message).toContain(`maxContentLength size of ${MAX_RESPONSE_BYTES} exceeded`);
      await eventually(() => hostile?.closedConnections === 1);
      expect(hostile.bytesWritten[0]).toBeLessThan(16 * MB);
    });

    it('a 100 MB answer announced with its Content-Length', async () => {
      hostile = await hostileServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUNDRED_MB) });
        stream(res, HUNDRED_MB);
      });
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsNetworkError);
      expect(error.message).toContain(`maxContentLength size of ${MAX_RESPONSE_BYTES} exceeded`);
      await eventually(() => hostile?.closedConnections === 1);
      expect(hostile.bytesWritten[0]).toBeLessThan(16 * MB);
    });

    it('a gzip bomb (100 kB that inflates to 100 MB)', async () => {
      const bomb = await gzipBomb(HUNDRED_MB);
      expect(bomb.length).toBeLessThan(MB);
      hostile = await hostileServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(bomb);
      });
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsNetworkError);
      // Counted after inflating: reading stopped at MAX_RESPONSE_BYTES of the 100 MB.
      expect(error.message).toContain(`maxContentLength size of ${MAX_RESPONSE_BYTES} exceeded`);
    });

    it('a huge answer to a background event is retried, then reported failed', async () => {
      hostile = await hostileServer((_req, res) => {
        res.writeHead(503);
        stream(res, 10 * MB);
      });
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl, retry: { attempts: 2, minDelayMs: 5 } });
      testing.loops.enqueueEvent(event);
      await testing.loops.flush();
      expect(hostile.requests).toHaveLength(2);
      expect(testing.logger.texts('error')).toEqual([
        expect.stringContaining('failed after 2 attempt(s): No answer from Loops: maxContentLength size'),
      ]);
    });
  });

  describe('bodies that are not the JSON Loops sends', () => {
    const answer = (status: number, body: string | Buffer, type = 'text/html') =>
      hostileServer((_req, res) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });

    it('non-JSON with 200 is no acknowledgement: a LoopsApiError keeping the text, Loops may have the event', async () => {
      hostile = await answer(200, '<html>OK</html>');
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsApiError);
      expect(error).toMatchObject({ status: 200, rawBody: '<html>OK</html>', mayHaveBeenAccepted: true });
    });

    it('binary garbage with 200, labelled JSON: no acknowledgement either', async () => {
      hostile = await answer(200, Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28]), 'application/json');
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      expect(await failureOf(testing.loops.sendEvent(event))).toMatchObject({ status: 200, mayHaveBeenAccepted: true });
    });

    it('non-JSON with 500 is a LoopsApiError keeping the text', async () => {
      hostile = await answer(500, 'upstream exploded');
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsApiError);
      expect(error).toMatchObject({ status: 500, rawBody: 'upstream exploded', body: undefined });
    });

    it('JSON whose message is not a string', async () => {
      hostile = await answer(400, JSON.stringify({ message: { toString: 'x' }, error: ['x'] }), 'application/json');
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toMatchObject({ status: 400, message: 'Loops answered 400', loopsMessage: undefined });
    });
  });

  describe('deeply nested JSON', () => {
    const nestedAnswer = (status: number, text: string) =>
      hostileServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      });

    it('more levels of [ than the size cap holds are cut off with it', async () => {
      hostile = await nestedAnswer(400, '['.repeat(MAX_RESPONSE_BYTES + 1));
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsNetworkError);
    });

    it('32 000 levels of arrays within the cap are kept as text, which a logger can print whole', async () => {
      const text = `${'['.repeat(32_000)}${']'.repeat(32_000)}`;
      hostile = await nestedAnswer(400, text);
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsApiError);
      expect(error).toMatchObject({ message: 'Loops answered 400', body: undefined, rawBody: text });
      // A logger that writes errors as JSON: parsed, this body would make JSON.stringify overflow the stack.
      expect(() => JSON.stringify(error)).not.toThrow();
    });

    it("Loops' own nesting is parsed: a body 64 levels deep, brackets within its strings not counted", async () => {
      // One escaped quote: a scan that took it for the string's end would count the brackets after it.
      const message = JSON.stringify(`Deep "${'['.repeat(100)}${'{'.repeat(100)}`);
      const nested = `${'{"a":'.repeat(63)}{"success":false,"message":${message}}${'}'.repeat(63)}`;
      hostile = await nestedAnswer(400, nested);
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toMatchObject({ body: JSON.parse(nested), rawBody: undefined });
    });

    it('10 000 levels of objects, answering a background event', async () => {
      hostile = await nestedAnswer(500, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      testing.loops.enqueueEvent(event);
      await testing.loops.flush();
      expect(testing.logger.texts('error')).toEqual([expect.stringContaining('failed after 1 attempt(s)')]);
    });

    it('60 000 unclosed [ within the cap: not JSON, kept as text', async () => {
      hostile = await nestedAnswer(502, '['.repeat(60_000));
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl });
      const error = await failureOf(testing.loops.sendEvent(event), { inspectFully: false });
      expect(error).toMatchObject({ status: 502, body: undefined });
      expect((error as LoopsApiError).rawBody).toHaveLength(60_000);
    });
  });

  describe('an endless slow drip: timeoutMs holds', () => {
    const timeoutMs = 300;
    const attempts = 2;
    const bound = timeoutMs * attempts + 2_000;

    async function expectTimesOut(server: HostileServer): Promise<void> {
      const testing = await boot(loopsServer, {
        baseUrl: server.baseUrl,
        timeoutMs,
        retry: { attempts, minDelayMs: 10, maxDelayMs: 10 },
      });
      const started = Date.now();
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(Date.now() - started).toBeLessThan(bound);
      expect(error).toBeInstanceOf(LoopsNetworkError);
      expect(error).toMatchObject({ code: 'ETIMEDOUT', message: `Loops did not answer within ${timeoutMs} ms` });
      expect(server.requests).toHaveLength(attempts);
      // Both connections were given up on, not left dripping.
      await eventually(() => server.closedConnections === attempts);
    }

    it('headers, then one byte every 100 ms forever', async () => {
      hostile = await hostileServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const drip = setInterval(() => res.write('['), 100);
        res.once('close', () => clearInterval(drip));
      });
      await expectTimesOut(hostile);
    });

    it('a status line, then one header byte every 100 ms forever', async () => {
      hostile = await rawServer((socket) => {
        socket.once('data', () => {
          socket.write('HTTP/1.1 200 OK\r\nX-Drip: ');
          const drip = setInterval(() => socket.write('a'), 100);
          socket.once('close', () => clearInterval(drip));
        });
      });
      await expectTimesOut(hostile);
    });

    it('a connection accepted and never answered', async () => {
      hostile = await rawServer(() => undefined);
      await expectTimesOut(hostile);
    });
  });

  describe('redirects are not followed, and the key goes nowhere else', () => {
    const redirectTo = (status: number, target: HostileServer) =>
      hostileServer((_req, res) => {
        res.writeHead(status, { location: `${target.baseUrl}/events/send` });
        res.end();
      });

    it.each([301, 302, 303, 307, 308])('%i to another port', async (status) => {
      other = await hostileServer((_req, res) => res.end('{"success":true}'));
      hostile = await redirectTo(status, other);
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl, retry: { attempts: 3, minDelayMs: 5 } });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsApiError);
      expect(error).toMatchObject({ status });
      expect(hostile.requests).toHaveLength(1);
      expect(hostile.requests[0].authorization).toBe(`Bearer ${SECRET}`);
      expect(other.requests).toHaveLength(0);
    });

    it('302 to another host, even when the app asks axios to follow redirects', async () => {
      other = await hostileServer((_req, res) => res.end('{"success":true}'), '127.0.0.2');
      hostile = await redirectTo(302, other);
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl, http: { maxRedirects: 5 } });
      testing.loops.enqueueEvent(event);
      await testing.loops.flush();
      expect(testing.logger.texts('error')).toEqual([expect.stringContaining('Loops answered 302')]);
      expect(hostile.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    });

    it("302 to another host, even when the app's axios instance follows redirects", async () => {
      other = await hostileServer((_req, res) => res.end('{"success":true}'), '127.0.0.2');
      hostile = await redirectTo(302, other);
      const axiosInstance = axios.create({ adapter: 'fetch', maxRedirects: 5 });
      const testing = await boot(loopsServer, { baseUrl: hostile.baseUrl, axiosInstance });
      const error = await failureOf(testing.loops.sendEvent(event));
      expect(error).toMatchObject({ status: 302 });
      expect(hostile.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    });
  });
});
