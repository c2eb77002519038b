import { randomUUID } from 'node:crypto';
import { Agent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Socket } from 'node:net';

import { LoopsCompatibleServer, LoopsServerOptions } from './support/loops-server';
import { LoopsServerCliMessage, runLoopsServerCli } from './support/loops-server/main';

const API_KEY = 'test-key';
const validEvent = { email: 'ada@example.com', eventName: 'signup' };

const servers: LoopsCompatibleServer[] = [];

async function startServer(options?: LoopsServerOptions): Promise<LoopsCompatibleServer> {
  const server = await LoopsCompatibleServer.start(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The Loops answer shape; fetch types json() as unknown. */
const readJson = async (response: Response) =>
  (await response.json()) as { success: boolean; message?: string; teamName?: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface SendOptions {
  /** null sends no Authorization header at all. */
  apiKey?: string | null;
  idempotencyKey?: string;
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string;
}

function sendEvent(server: LoopsCompatibleServer, body: unknown, options: SendOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  return fetch(`${server.baseUrl}/events/send`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(body),
  });
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http rather than fetch where the test must control the connection itself. */
function rawRequest(url: string, options: { method?: string; agent?: Agent; onSocket?: (socket: Socket) => void }) {
  return new Promise<RawResponse>((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: { authorization: `Bearer ${API_KEY}` }, agent: options.agent },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', reject);
      },
    );
    request.on('socket', (socket) => options.onSocket?.(socket));
    request.on('error', reject);
    request.end();
  });
}

describe('accepting an event', () => {
  it('answers 200, records the event with its idempotency key and records the request', async () => {
    const server = await startServer();
    const body = { ...validEvent, firstName: 'Ada', eventProperties: { plan: 'pro', seats: 3, trial: false } };

    const response = await sendEvent(server, body, { idempotencyKey: 'key-1' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await readJson(response)).toEqual({ success: true });
    expect(server.accepted).toEqual([
      { path: '/api/v1/events/send', idempotencyKey: 'key-1', body, receivedAt: expect.any(Number) },
    ]);
    expect(server.acceptedCount('key-1')).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/events/send',
      body,
      rawBody: JSON.stringify(body),
      status: 200,
    });
    expect(server.requests[0].headers['idempotency-key']).toBe('key-1');
  });

  it('accepts an event identified by userId alone, null contact properties and mailing lists', async () => {
    const server = await startServer();
    const body = { userId: 'u-1', eventName: 'upgrade', lastName: null, mailingLists: { list1: true, list2: false } };

    const response = await sendEvent(server, body);

    expect(response.status).toBe(200);
    expect(server.accepted.map((event) => event.body)).toEqual([body]);
  });
});

describe('authorization', () => {
  it.each([
    ['missing', null],
    ['wrong', 'not-the-key'],
  ])('answers 401 to a %s API key and accepts nothing', async (_, apiKey) => {
    const server = await startServer();

    const response = await sendEvent(server, validEvent, { apiKey });

    expect(response.status).toBe(401);
    expect(await readJson(response)).toEqual({ success: false, message: 'Invalid API key' });
    expect(server.accepted).toEqual([]);
    expect(server.requests[0].status).toBe(401);
  });

  it('checks against the configured key', async () => {
    const server = await startServer({ apiKey: 'custom' });

    expect((await sendEvent(server, validEvent)).status).toBe(401);
    expect((await sendEvent(server, validEvent, { apiKey: 'custom' })).status).toBe(200);
  });
});

describe('GET /api/v1/api-key', () => {
  it('answers the team name to the right key', async () => {
    const server = await startServer({ teamName: 'Acme' });

    const response = await fetch(`${server.baseUrl}/api-key`, { headers: { authorization: `Bearer ${API_KEY}` } });

    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ success: true, teamName: 'Acme' });
  });

  it('answers 401 to a wrong key', async () => {
    const server = await startServer();

    const response = await fetch(`${server.baseUrl}/api-key`, { headers: { authorization: 'Bearer nope' } });

    expect(response.status).toBe(401);
    expect(await readJson(response)).toEqual({ success: false, message: 'Invalid API key' });
  });
});

describe('body validation', () => {
  const longString = (jsonLength: number): string => 'x'.repeat(jsonLength - 2);

  it.each<[string, unknown, string]>([
    ['a missing eventName', { email: 'ada@example.com' }, 'eventName'],
    ['a colon in eventName', { ...validEvent, eventName: 'app:signup' }, 'eventName'],
    ['neither email nor userId', { eventName: 'signup' }, 'email or userId'],
    ['an empty email', { email: '', eventName: 'signup' }, 'email'],
    ['nested eventProperties', { ...validEvent, eventProperties: { plan: { name: 'pro' } } }, 'eventProperties.plan'],
    ['null in eventProperties', { ...validEvent, eventProperties: { plan: null } }, 'eventProperties.plan'],
    ['a non-boolean mailing list', { ...validEvent, mailingLists: { list1: 'yes' } }, 'mailingLists.list1'],
    ['a nested contact property', { ...validEvent, address: { city: 'Paris' } }, 'address'],
    ['a reserved contact property', { ...validEvent, teamId: 't-1' }, 'teamId'],
    ['a string value of 501 JSON characters', { ...validEvent, note: longString(501) }, 'note'],
    [
      'an event property of 501 JSON characters',
      { ...validEvent, eventProperties: { note: longString(501) } },
      'eventProperties.note',
    ],
    ['a key of 501 JSON characters', { ...validEvent, [longString(501)]: 'value' }, 'key xxxx'],
    ['an array body', [validEvent], 'JSON object'],
  ])('answers 400 to %s, naming the field', async (_, body, field) => {
    const server = await startServer();

    const response = await sendEvent(server, body);

    expect(response.status).toBe(400);
    const answer = await readJson(response);
    expect(answer.success).toBe(false);
    expect(answer.message).toContain(field);
    expect(server.accepted).toEqual([]);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const server = await startServer();

    const response = await sendEvent(server, undefined, { rawBody: 'eventName=signup' });

    expect(response.status).toBe(400);
    expect(await readJson(response)).toEqual({ success: false, message: 'Request body must be a JSON object' });
    expect(server.requests[0]).toMatchObject({ rawBody: 'eventName=signup', body: undefined, status: 400 });
  });

  it('accepts keys and values of exactly 500 JSON characters', async () => {
    const server = await startServer();

    const response = await sendEvent(server, { ...validEvent, [longString(500)]: longString(500) });

    expect(response.status).toBe(200);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const server = await startServer();

    const response = await sendEvent(server, { ...validEvent, padding: 'x'.repeat(1024 * 1024) });

    expect(response.status).toBe(413);
    expect(server.accepted).toEqual([]);
  });
});

describe('idempotency', () => {
  it('answers 400 to a key over 100 characters and accepts one of exactly 100', async () => {
    const server = await startServer();

    const tooLong = await sendEvent(server, validEvent, { idempotencyKey: 'k'.repeat(101) });
    const longest = await sendEvent(server, validEvent, { idempotencyKey: 'k'.repeat(100) });

    expect(tooLong.status).toBe(400);
    expect((await readJson(tooLong)).message).toContain('Idempotency-Key');
    expect(longest.status).toBe(200);
  });

  it('answers 409 to a reused key and accepts the event once', async () => {
    const server = await startServer();
    const idempotencyKey = randomUUID();

    const first = await sendEvent(server, validEvent, { idempotencyKey });
    const second = await sendEvent(server, validEvent, { idempotencyKey });

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(await readJson(second)).toEqual({ success: false, message: 'Idempotency key already used' });
    expect(server.acceptedCount(idempotencyKey)).toBe(1);
  });

  it('does not burn the key of a request answered 400', async () => {
    const server = await startServer();
    const idempotencyKey = randomUUID();

    const invalid = await sendEvent(server, { email: 'ada@example.com' }, { idempotencyKey });
    const valid = await sendEvent(server, validEvent, { idempotencyKey });

    expect(invalid.status).toBe(400);
    expect(valid.status).toBe(200);
    expect(server.acceptedCount(idempotencyKey)).toBe(1);
  });
});

describe('rate limit', () => {
  it('admits exactly the limit out of a burst, answers 429 to the rest, then admits again after a second', async () => {
    const server = await startServer({ rateLimitPerSecond: 5 });

    const responses = await Promise.all(Array.from({ length: 8 }, () => sendEvent(server, validEvent)));

    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(server.accepted).toHaveLength(5);
    for (const response of responses) expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    const remainingAfterAdmitted = responses
      .filter((response) => response.status === 200)
      .map((response) => response.headers.get('x-ratelimit-remaining'))
      .sort();
    expect(remainingAfterAdmitted).toEqual(['0', '1', '2', '3', '4']);
    const limited = responses.find((response) => response.status === 429);
    expect(limited?.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await limited?.json()).toEqual({ success: false, message: 'Rate limit exceeded' });

    await sleep(1100);

    expect((await sendEvent(server, validEvent)).status).toBe(200);
  });

  it('counts x-ratelimit-remaining down request by request and shows it on every answer', async () => {
    const server = await startServer({ rateLimitPerSecond: 5 });

    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      remaining.push((await sendEvent(server, validEvent)).headers.get('x-ratelimit-remaining'));
    }
    const unauthorized = await sendEvent(server, validEvent, { apiKey: 'nope' });
    const invalid = await sendEvent(server, {});

    expect(remaining).toEqual(['4', '3', '2']);
    // A 401 never reaches the limiter, so it shows the window as it stands.
    expect(unauthorized.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(unauthorized.headers.get('x-ratelimit-limit')).toBe('5');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('counts the API key check against the same limit as events', async () => {
    const server = await startServer({ rateLimitPerSecond: 2 });
    const checkKey = () => fetch(`${server.baseUrl}/api-key`, { headers: { authorization: `Bearer ${API_KEY}` } });

    const check = await checkKey();
    const event = await sendEvent(server, validEvent);
    const refused = await checkKey();

    expect([check.status, event.status, refused.status]).toEqual([200, 200, 429]);
    expect(check.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('can be lifted at runtime, announcing a large limit', async () => {
    const server = await startServer({ rateLimitPerSecond: 1 });
    server.rateLimitPerSecond = 0;

    const responses = await Promise.all(Array.from({ length: 5 }, () => sendEvent(server, validEvent)));

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(responses[0].headers.get('x-ratelimit-limit')).toBe('1000000');
  });
});

describe('scripted status answers', () => {
  it('answers a scripted JSON body with its own headers plus the rate-limit headers, accepting nothing', async () => {
    const server = await startServer();
    server.script({
      kind: 'status',
      status: 503,
      body: { success: false, message: 'down' },
      headers: { 'X-Test': '1' },
    });

    const response = await sendEvent(server, validEvent);

    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-test')).toBe('1');
    expect(response.headers.get('x-ratelimit-limit')).toBe('10');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('10');
    expect(await readJson(response)).toEqual({ success: false, message: 'down' });
    expect(server.accepted).toEqual([]);
    expect(server.requests[0].status).toBe(503);
  });

  it('answers a raw HTML body as text/html', async () => {
    const server = await startServer();
    const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    server.script({ kind: 'status', status: 502, rawBody: page });

    const response = await sendEvent(server, validEvent);

    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe(page);
  });

  it('lets scripted headers override the defaults', async () => {
    const server = await startServer();
    server.script({ kind: 'status', status: 429, headers: { 'x-ratelimit-remaining': '0', 'retry-after': '2' } });

    const response = await sendEvent(server, validEvent);

    expect(response.status).toBe(429);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.text()).toBe('');
  });
});

describe('script queue', () => {
  it('consumes one answer per events/send request, in order, then processes normally', async () => {
    const server = await startServer();
    server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 429 });

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await sendEvent(server, validEvent)).status);

    expect(statuses).toEqual([500, 429, 200]);
    expect(server.accepted).toHaveLength(1);
  });

  it('is not consumed by other endpoints', async () => {
    const server = await startServer();
    server.script({ kind: 'status', status: 500 });

    const apiKeyCheck = await fetch(`${server.baseUrl}/api-key`, { headers: { authorization: `Bearer ${API_KEY}` } });

    expect(apiKeyCheck.status).toBe(200);
    expect((await sendEvent(server, validEvent)).status).toBe(500);
  });
});

describe('scripted delay', () => {
  it('answers after the delay, then processes normally', async () => {
    const server = await startServer();
    server.script({ kind: 'delay', ms: 200 });

    const startedAt = Date.now();
    const response = await sendEvent(server, validEvent);
    const elapsed = Date.now() - startedAt;

    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(response.status).toBe(200);
    expect(server.accepted).toHaveLength(1);
  });
});

describe('scripted drop', () => {
  it('destroys the connection without answering and accepts nothing', async () => {
    const server = await startServer();
    server.script({ kind: 'drop' });

    await expect(sendEvent(server, validEvent, { idempotencyKey: 'k' })).rejects.toThrow('fetch failed');

    expect(server.accepted).toEqual([]);
    expect(server.requests[0].status).toBeUndefined();
    // Nothing was stored, so a retry with the same key goes through.
    expect((await sendEvent(server, validEvent, { idempotencyKey: 'k' })).status).toBe(200);
  });
});

describe('scripted accept-then-drop', () => {
  it('accepts the event, destroys the connection, and answers 409 to a retry with the same key', async () => {
    const server = await startServer();
    server.script({ kind: 'accept-then-drop' });
    const idempotencyKey = randomUUID();

    await expect(sendEvent(server, validEvent, { idempotencyKey })).rejects.toThrow('fetch failed');

    expect(server.acceptedCount(idempotencyKey)).toBe(1);
    expect(server.requests[0].status).toBeUndefined();
    expect((await sendEvent(server, validEvent, { idempotencyKey })).status).toBe(409);
    expect(server.acceptedCount(idempotencyKey)).toBe(1);
  });
});

describe('respondWith', () => {
  it('answers what the responder returns, processes normally when it returns undefined, and yields to the script', async () => {
    const server = await startServer();
    const seen: string[] = [];
    server.respondWith((request) => {
      const { eventName } = request.body as { eventName: string };
      seen.push(eventName);
      return eventName === 'flaky' ? { kind: 'status', status: 503 } : undefined;
    });
    server.script({ kind: 'status', status: 500 });

    const scripted = await sendEvent(server, { ...validEvent, eventName: 'flaky' });
    const flaky = await sendEvent(server, { ...validEvent, eventName: 'flaky' });
    const steady = await sendEvent(server, { ...validEvent, eventName: 'steady' });
    server.respondWith(undefined);
    const afterRemoval = await sendEvent(server, { ...validEvent, eventName: 'flaky' });

    expect([scripted.status, flaky.status, steady.status, afterRemoval.status]).toEqual([500, 503, 200, 200]);
    expect(seen).toEqual(['flaky', 'steady']);
    expect(server.accepted.map((event) => event.body.eventName)).toEqual(['steady', 'flaky']);
  });
});

describe('eventRequests and maxInAnyWindow', () => {
  it('finds the busiest sliding window among the events/send requests', async () => {
    // Arrivals stamped by a clock of the test's: three at 0-2 ms, two at 300-301 ms.
    const stamps = [0, 1, 2, 300, 301, 302];
    const server = await startServer({ rateLimitPerSecond: 0, clock: () => stamps[0] });
    const sendAt = async (stamp: number, send: () => Promise<unknown>) => {
      stamps[0] = stamp;
      await send();
    };

    for (const stamp of [0, 1, 2]) await sendAt(stamp, () => sendEvent(server, validEvent));
    for (const stamp of [300, 301]) await sendAt(stamp, () => sendEvent(server, validEvent));
    await sendAt(302, () => fetch(`${server.baseUrl}/api-key`, { headers: { authorization: `Bearer ${API_KEY}` } }));

    expect(server.requests).toHaveLength(6);
    expect(server.eventRequests().map((request) => request.receivedAt)).toEqual([0, 1, 2, 300, 301]);
    expect(server.maxInAnyWindow(200)).toBe(3);
    expect(server.maxInAnyWindow(301)).toBe(4);
    expect(server.maxInAnyWindow()).toBe(5);
  });

  it('is 0 without requests', async () => {
    const server = await startServer();

    expect(server.maxInAnyWindow()).toBe(0);
  });
});

describe('reset', () => {
  it('clears records, script, responder, idempotency keys and the rate window, keeping the options', async () => {
    const server = await startServer({ rateLimitPerSecond: 1, apiKey: 'custom' });
    await sendEvent(server, validEvent, { apiKey: 'custom', idempotencyKey: 'k' });
    server.script({ kind: 'status', status: 500 });
    server.respondWith(() => ({ kind: 'status', status: 503 }));

    server.reset();

    expect(server.requests).toEqual([]);
    expect(server.accepted).toEqual([]);
    expect((await sendEvent(server, validEvent, { apiKey: 'custom', idempotencyKey: 'k' })).status).toBe(200);
    expect((await sendEvent(server, validEvent, { idempotencyKey: 'other' })).status).toBe(401);
    expect(server.rateLimitPerSecond).toBe(1);
  });
});

describe('restart', () => {
  it('comes back on the same port with its records and idempotency keys, after closing open connections', async () => {
    const server = await startServer();
    const url = server.url;
    const agent = new Agent({ keepAlive: true });
    let keptAlive: Socket | undefined;
    await rawRequest(`${server.baseUrl}/api-key`, { agent, onSocket: (socket) => (keptAlive = socket) });
    const keptAliveClosed = new Promise((resolve) => keptAlive?.once('close', resolve));
    const idempotencyKey = randomUUID();
    expect((await sendEvent(server, validEvent, { idempotencyKey })).status).toBe(200);

    await server.restart();

    await keptAliveClosed;
    expect(server.url).toBe(url);
    expect(server.requests).toHaveLength(2);
    expect(server.accepted).toHaveLength(1);
    const apiKeyCheck = await rawRequest(`${server.baseUrl}/api-key`, { agent });
    expect(apiKeyCheck.status).toBe(200);
    expect((await sendEvent(server, validEvent, { idempotencyKey })).status).toBe(409);
    expect((await sendEvent(server, validEvent, { idempotencyKey: randomUUID() })).status).toBe(200);
    agent.destroy();
  });
});

describe('close', () => {
  const closesWithin = (server: LoopsCompatibleServer, ms: number) =>
    Promise.race([server.close().then(() => 'closed'), sleep(ms).then(() => 'still open')]);

  it('does not hang on an idle keep-alive connection', async () => {
    const server = await startServer();
    const agent = new Agent({ keepAlive: true });
    await rawRequest(`${server.baseUrl}/api-key`, { agent });

    expect(await closesWithin(server, 1000)).toBe('closed');
    agent.destroy();
  });

  it('does not wait for a request held by a scripted delay', async () => {
    const server = await startServer();
    server.script({ kind: 'delay', ms: 10_000 });
    const pending = sendEvent(server, validEvent);
    while (server.requests.length === 0 || server.requests[0].rawBody === '') await sleep(5);

    expect(await closesWithin(server, 1000)).toBe('closed');
    await expect(pending).rejects.toThrow('fetch failed');
    expect(server.accepted).toEqual([]);
  });

  it('refuses connections once closed', async () => {
    const server = await startServer();
    const url = `${server.baseUrl}/api-key`;

    await server.close();

    await expect(rawRequest(url, {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('routing', () => {
  it('answers 405 to a wrong method on a known path', async () => {
    const server = await startServer();

    const getEvents = await fetch(`${server.baseUrl}/events/send`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const postApiKey = await fetch(`${server.baseUrl}/api-key`, { method: 'POST' });

    expect(getEvents.status).toBe(405);
    expect(getEvents.headers.get('allow')).toBe('POST');
    expect((await readJson(getEvents)).success).toBe(false);
    expect(postApiKey.status).toBe(405);
    expect(postApiKey.headers.get('allow')).toBe('GET');
    expect(server.eventRequests()).toEqual([]);
  });

  it('answers 404 JSON to an unknown path', async () => {
    const server = await startServer();

    const response = await fetch(`${server.baseUrl}/campaigns`, { method: 'POST' });

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect((await readJson(response)).success).toBe(false);
    expect(server.requests[0]).toMatchObject({ path: '/api/v1/campaigns', status: 404 });
  });
});

describe('runLoopsServerCli', () => {
  async function runCli(env: NodeJS.ProcessEnv) {
    const printed: string[] = [];
    const sent: LoopsServerCliMessage[] = [];
    const cli = await runLoopsServerCli(env, { print: (line) => printed.push(line), send: (m) => sent.push(m) });
    servers.push(cli.server);
    return { ...cli, printed, sent };
  }

  async function freePort(): Promise<number> {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  it('prints where it listens as one JSON line and announces it over IPC, with the defaults', async () => {
    const { server, line, printed, sent } = await runCli({});

    expect(printed).toEqual([line]);
    expect(JSON.parse(line)).toEqual({ url: server.url, baseUrl: server.baseUrl });
    expect(server.baseUrl).toBe(`${server.url}/api/v1`);
    expect(sent).toEqual([{ type: 'listening', url: server.url, baseUrl: server.baseUrl }]);
    expect(server.rateLimitPerSecond).toBe(10);
    expect((await sendEvent(server, validEvent, { apiKey: 'test-key' })).status).toBe(200);
  });

  it('reads the port, key, rate limit and delay from the environment', async () => {
    const port = await freePort();
    const { server } = await runCli({
      PORT: String(port),
      LOOPS_SERVER_API_KEY: 'env-key',
      LOOPS_SERVER_RATE_LIMIT: '0',
      LOOPS_SERVER_DELAY_MS: '100',
    });

    const startedAt = Date.now();
    const response = await sendEvent(server, validEvent, { apiKey: 'env-key' });

    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    expect(response.status).toBe(200);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(90);
    expect(response.headers.get('x-ratelimit-limit')).toBe('1000000');
  });

  it('answers a stats message with the counts of accepted, events/send and rate-limited requests', async () => {
    const { server, handleMessage, sent } = await runCli({ LOOPS_SERVER_RATE_LIMIT: '1' });
    await sendEvent(server, validEvent);
    await sendEvent(server, validEvent);
    await fetch(`${server.baseUrl}/api-key`);

    handleMessage({ type: 'something else' });
    handleMessage({ type: 'stats' });

    expect(sent.slice(1)).toEqual([{ type: 'stats', accepted: 1, requests: 2, rateLimited: 1 }]);
  });

  it('rejects a malformed number', async () => {
    await expect(runLoopsServerCli({ LOOPS_SERVER_RATE_LIMIT: 'fast' }, { print: () => undefined })).rejects.toThrow(
      'LOOPS_SERVER_RATE_LIMIT',
    );
  });
});
