import { inspect } from 'node:util';
import { LoopsClient } from 'loops';
import {
  LoopsApiError,
  LoopsAuthError,
  LoopsContactsService,
  LoopsEventsService,
  LoopsNetworkError,
  LoopsRateLimitError,
  LoopsTransactionalService,
  LoopsValidationError,
  SendEventDto,
  type SendEventInput,
} from '../lib';
import { createLoopsTestingApp, LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';
import { mulberry32 } from './support/seeded-random';

import { version } from '../package.json';

const SECRET_KEY = 'sk_test_0123456789abcdef-secret';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp;
let loops: LoopsEventsService;

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ apiKey: SECRET_KEY, rateLimitPerSecond: 0 });
  testing = await createLoopsTestingApp(server, { apiKey: SECRET_KEY, retry: false });
  loops = testing.loops;
});
afterEach(() => server.reset());
afterAll(async () => {
  await testing.app.close();
  await server.close();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const long = (length: number) => 'x'.repeat(length);

describe('validation, before any network I/O', () => {
  const valid: Array<[string, SendEventInput]> = [
    ['email only', { eventName: 'signup', email: 'ada@example.com' }],
    ['userId only', { eventName: 'signup', userId: 'user-1' }],
    ['both identities', { eventName: 'signup', email: 'ada@example.com', userId: 'user-1' }],
    [
      'every property type',
      {
        eventName: 'order.placed',
        email: 'ada@example.com',
        eventProperties: { total: 12.5, items: 3, paid: true, note: 'gift', at: new Date('2026-01-02T03:04:05Z') },
        contactProperties: { firstName: 'Ada', plan: null, vip: false, since: new Date(0), age: 36 },
        mailingLists: { list_a: true, list_b: false },
      },
    ],
    ['a 498-character value (500 as JSON)', { eventName: 'x', userId: 'u', eventProperties: { note: long(498) } }],
    ['a 498-character key', { eventName: 'x', userId: 'u', contactProperties: { [long(498)]: 1 } }],
    ['an empty map', { eventName: 'x', userId: 'u', eventProperties: {} }],
    [
      'Dates at the ends of the years 0 to 9999',
      {
        eventName: 'x',
        userId: 'u',
        eventProperties: { first: new Date('0000-01-01T00:00:00Z'), last: new Date('9999-12-31T23:59:59.999Z') },
      },
    ],
  ];

  it.each(valid)('accepts %s', async (_name, event) => {
    const result = await loops.sendEvent(event);
    expect(result).toMatchObject({ success: true, attempts: 1, deduplicated: false, dryRun: false });
    expect(server.accepted).toHaveLength(1);
  });

  const invalid: Array<[string, unknown, string, string]> = [
    ['missing eventName', { email: 'a@example.com' }, 'eventName', 'required'],
    ['empty eventName', { eventName: '', email: 'a@example.com' }, 'eventName', 'isNonEmptyString'],
    ['numeric eventName', { eventName: 5, email: 'a@example.com' }, 'eventName', 'isNonEmptyString'],
    ['colon in eventName', { eventName: 'a:b', email: 'a@example.com' }, 'eventName', 'noColon'],
    ['eventName over 500 as JSON', { eventName: long(499), email: 'a@example.com' }, 'eventName', 'maxLength'],
    ['no email nor userId', { eventName: 'x' }, 'email', 'required'],
    ['bad email', { eventName: 'x', email: 'not-an-email' }, 'email', 'isEmail'],
    ['numeric email', { eventName: 'x', email: 42 }, 'email', 'isEmail'],
    ['empty userId', { eventName: 'x', userId: '' }, 'userId', 'isNonEmptyString'],
    ['numeric userId', { eventName: 'x', userId: 7 }, 'userId', 'isNonEmptyString'],
    [
      'null in eventProperties',
      { eventName: 'x', userId: 'u', eventProperties: { a: null } },
      'eventProperties.a',
      'isPropertyValue',
    ],
    [
      'object in eventProperties',
      { eventName: 'x', userId: 'u', eventProperties: { a: { b: 1 } } },
      'eventProperties.a',
      'isPropertyValue',
    ],
    [
      'array in eventProperties',
      { eventName: 'x', userId: 'u', eventProperties: { a: [1] } },
      'eventProperties.a',
      'isPropertyValue',
    ],
    [
      'NaN in eventProperties',
      { eventName: 'x', userId: 'u', eventProperties: { a: Number.NaN } },
      'eventProperties.a',
      'isPropertyValue',
    ],
    [
      'Infinity in contactProperties',
      { eventName: 'x', userId: 'u', contactProperties: { a: Infinity } },
      'contactProperties.a',
      'isPropertyValue',
    ],
    [
      'invalid Date',
      { eventName: 'x', userId: 'u', eventProperties: { at: new Date('nope') } },
      'eventProperties.at',
      'isPropertyValue',
    ],
    [
      'a Date past the year 9999, which JSON writes as +010000-…',
      { eventName: 'x', userId: 'u', eventProperties: { at: new Date('+010000-01-01T00:00:00Z') } },
      'eventProperties.at',
      'isPropertyValue',
    ],
    [
      'a Date before the year 0',
      { eventName: 'x', userId: 'u', contactProperties: { at: new Date('-000001-12-31T00:00:00Z') } },
      'contactProperties.at',
      'isPropertyValue',
    ],
    [
      'eventProperties not an object',
      { eventName: 'x', userId: 'u', eventProperties: 'a=1' },
      'eventProperties',
      'isObject',
    ],
    ['eventProperties an array', { eventName: 'x', userId: 'u', eventProperties: [] }, 'eventProperties', 'isObject'],
    [
      'reserved contact property',
      { eventName: 'x', userId: 'u', contactProperties: { teamId: 't' } },
      'contactProperties.teamId',
      'reservedName',
    ],
    [
      'fixed key as contact property',
      { eventName: 'x', userId: 'u', contactProperties: { eventName: 'evil' } },
      'contactProperties.eventName',
      'fixedKey',
    ],
    [
      'email as contact property',
      { eventName: 'x', userId: 'u', contactProperties: { email: 'b@example.com' } },
      'contactProperties.email',
      'fixedKey',
    ],
    [
      '__proto__ key',
      { eventName: 'x', userId: 'u', contactProperties: JSON.parse('{"__proto__": "x"}') },
      'contactProperties.__proto__',
      'forbiddenKey',
    ],
    [
      'constructor key',
      { eventName: 'x', userId: 'u', eventProperties: { constructor: 'x' } },
      'eventProperties.constructor',
      'forbiddenKey',
    ],
    [
      'value over 500 as JSON',
      { eventName: 'x', userId: 'u', eventProperties: { note: long(499) } },
      'eventProperties.note',
      'maxLength',
    ],
    [
      'key over 500 as JSON',
      { eventName: 'x', userId: 'u', eventProperties: { [long(499)]: 1 } },
      `eventProperties.${long(40)}…`,
      'maxLength',
    ],
    [
      'mailing list value not boolean',
      { eventName: 'x', userId: 'u', mailingLists: { l: 'yes' } },
      'mailingLists.l',
      'isBoolean',
    ],
    [
      'mailing list value null',
      { eventName: 'x', userId: 'u', mailingLists: { l: null } },
      'mailingLists.l',
      'isBoolean',
    ],
    ['unknown top-level field', { eventName: 'x', userId: 'u', firstName: 'Ada' }, 'firstName', 'whitelist'],
    ['top-level __proto__', JSON.parse('{"eventName":"x","userId":"u","__proto__":{"a":1}}'), '__proto__', 'whitelist'],
    ['null event', null, 'event', 'isObject'],
    ['string event', 'signup', 'event', 'isObject'],
  ];

  it.each(invalid)('rejects %s, naming the field, with no request', async (_name, event, path, rule) => {
    const error = await rejection(loops.sendEvent(event as SendEventInput));
    expect(error).toBeInstanceOf(LoopsValidationError);
    const issues = (error as LoopsValidationError).errors;
    expect(issues).toContainEqual(expect.objectContaining({ path, rule }));
    expect(error.message).toContain(issues.find((issue) => issue.path === path)?.message);
    expect(server.requests).toHaveLength(0);
  });

  it('lists every violation at once', async () => {
    const error = (await rejection(
      loops.sendEvent({ eventName: 'a:b', email: 'nope', eventProperties: { x: null } } as never),
    )) as LoopsValidationError;
    expect(error.errors.map((issue) => issue.path).sort()).toEqual(['email', 'eventName', 'eventProperties.x']);
  });

  it('accepts a SendEventDto instance and applies the same rules to it', async () => {
    const dto = Object.assign(new SendEventDto(), { eventName: 'dto', userId: 'u1' });
    await expect(loops.sendEvent(dto)).resolves.toMatchObject({ success: true });
    const bad = Object.assign(new SendEventDto(), { eventName: 'dto' });
    await expect(loops.sendEvent(bad)).rejects.toBeInstanceOf(LoopsValidationError);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a nested object with an own constructor key without tripping class-transformer', async () => {
    const error = (await rejection(
      loops.sendEvent({ eventName: 'x', userId: 'u', eventProperties: { a: { constructor: 'x' } } as never }),
    )) as LoopsValidationError;
    expect(error.errors).toContainEqual(
      expect.objectContaining({ path: 'eventProperties.a', rule: 'isPropertyValue' }),
    );
  });

  it.each([
    ['a Map', new Map([['plan', 'pro']])],
    ['a Date', new Date()],
    ['a class instance', new (class Plan {})()],
  ])('rejects %s as a property map (it would be sent as {})', async (_name, value) => {
    const error = (await rejection(
      loops.sendEvent({ eventName: 'x', userId: 'u', eventProperties: value as never }),
    )) as LoopsValidationError;
    expect(error.errors).toContainEqual(expect.objectContaining({ path: 'eventProperties', rule: 'isObject' }));
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a cyclic property value instead of recursing forever', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = (await rejection(
      loops.sendEvent({ eventName: 'x', userId: 'u', eventProperties: cyclic as never }),
    )) as LoopsValidationError;
    expect(error.errors).toContainEqual(expect.objectContaining({ path: 'eventProperties.self' }));
  });

  it.each([
    ['empty', ''],
    ['101 characters', long(101)],
    ['a space', 'a b'],
    ['CR LF', 'a\r\nX-Injected: 1'],
    ['non-ASCII', 'clé'],
  ])('rejects an idempotencyKey with %s', async (_name, idempotencyKey) => {
    const error = (await rejection(
      loops.sendEvent({ eventName: 'x', userId: 'u' }, { idempotencyKey }),
    )) as LoopsValidationError;
    expect(error.errors[0]).toMatchObject({ path: 'idempotencyKey', rule: 'idempotencyKey' });
    expect(server.requests).toHaveLength(0);
  });

  it("reports a bad idempotencyKey together with the event's own issues, for events and transactional emails", async () => {
    const paths = async (sending: Promise<unknown>) =>
      ((await rejection(sending)) as LoopsValidationError).errors.map((issue) => issue.path);

    expect(await paths(loops.sendEvent({ eventName: 'a:b', email: 'nope' }, { idempotencyKey: 'has space' }))).toEqual([
      'eventName',
      'email',
      'idempotencyKey',
    ]);
    expect(
      await paths(
        testing.app
          .get(LoopsTransactionalService)
          .send({ transactionalId: '', email: 'ada@example.com' }, { idempotencyKey: 'has space' }),
      ),
    ).toEqual(['transactionalId', 'idempotencyKey']);
    expect(server.requests).toHaveLength(0);
  });
});

describe('wire format', () => {
  it('posts to {baseUrl}/events/send with the documented headers and a generated v4 key', async () => {
    const result = await loops.sendEvent({ eventName: 'signup', email: 'ada@example.com' });
    const [request] = server.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/api/v1/events/send');
    expect(request.headers).toMatchObject({
      authorization: `Bearer ${SECRET_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': `nestjs-loops/${version}`,
    });
    expect(result.idempotencyKey).toMatch(UUID_V4);
    expect(request.headers['idempotency-key']).toBe(result.idempotencyKey);
  });

  it('sends the caller key, and a fresh key for every call otherwise', async () => {
    await loops.sendEvent({ eventName: 'a', userId: 'u' }, { idempotencyKey: 'order-42' });
    await loops.sendEvent({ eventName: 'a', userId: 'u' });
    await loops.sendEvent({ eventName: 'a', userId: 'u' });
    const keys = server.requests.map((request) => request.headers['idempotency-key']);
    expect(keys[0]).toBe('order-42');
    expect(new Set(keys).size).toBe(3);
  });

  it('flattens contact properties, keeps null, and sends Dates as ISO strings', async () => {
    await loops.sendEvent({
      eventName: 'planChanged',
      email: 'ada@example.com',
      userId: 'user-1',
      eventProperties: { at: new Date('2026-05-06T07:08:09.010Z'), plan: 'pro' },
      contactProperties: { firstName: 'Ada', trialEndsAt: new Date(Date.UTC(2026, 0, 1)), company: null },
      mailingLists: { news: true },
    });
    expect(server.accepted[0].body).toEqual({
      eventName: 'planChanged',
      email: 'ada@example.com',
      userId: 'user-1',
      firstName: 'Ada',
      trialEndsAt: '2026-01-01T00:00:00.000Z',
      company: null,
      eventProperties: { at: '2026-05-06T07:08:09.010Z', plan: 'pro' },
      mailingLists: { news: true },
    });
  });

  it('leaves out the fields that were not given', async () => {
    await loops.sendEvent({ eventName: 'ping', userId: 'u' });
    expect(JSON.parse(server.requests[0].rawBody)).toEqual({ eventName: 'ping', userId: 'u' });
  });

  it('does not let http.auth or a lower-case authorization header replace the key', async () => {
    const other = await createLoopsTestingApp(server, {
      apiKey: SECRET_KEY,
      http: { auth: { username: 'a', password: 'b' }, headers: { authorization: 'Bearer stolen' } },
    });
    await other.loops.sendEvent({ eventName: 'x', userId: 'u' });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    await other.app.close();
  });

  it('does not let the http option replace the idempotency key or the content type', async () => {
    const other = await createLoopsTestingApp(server, {
      apiKey: SECRET_KEY,
      http: { headers: { 'Idempotency-Key': 'one-for-all', 'Content-Type': 'text/plain', 'X-Extra': 'kept' } },
    });
    const { idempotencyKey } = await other.loops.sendEvent({ eventName: 'x', userId: 'u' });
    expect(server.requests[0].headers).toMatchObject({
      'idempotency-key': idempotencyKey,
      'content-type': expect.stringMatching(/^application\/json/),
      'x-extra': 'kept',
    });
    await other.app.close();
  });

  it('does not let the http option replace Authorization', async () => {
    const other = await createLoopsTestingApp(server, {
      apiKey: SECRET_KEY,
      http: { headers: { Authorization: 'Bearer stolen', 'X-Extra': 'kept' } },
    });
    await other.loops.sendEvent({ eventName: 'x', userId: 'u' });
    expect(server.requests[0].headers).toMatchObject({ authorization: `Bearer ${SECRET_KEY}`, 'x-extra': 'kept' });
    await other.app.close();
  });

  it('does not let the http option add an Idempotency-Key: events carry their own, contact calls none', async () => {
    const other = await createLoopsTestingApp(server, {
      apiKey: SECRET_KEY,
      http: { headers: { 'idempotency-key': 'app-wide' } },
    });
    const { idempotencyKey } = await other.loops.sendEvent({ eventName: 'x', userId: 'u' });
    await other.app.get(LoopsContactsService).updateContact({ userId: 'u', properties: { plan: 'pro' } });
    expect(server.requests.map((request) => request.headers['idempotency-key'])).toEqual([idempotencyKey, undefined]);
    await other.app.close();
  });
});

describe('same body as the official loops SDK', () => {
  /** Inputs both accept, drawn from a seeded generator: odd keys and values, every field present or not. */
  function generateInputs(count: number, seed: number): SendEventInput[] {
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const maybe = (chance = 0.5) => random() < chance;
    const texts = [
      'Ada',
      '',
      ' spaced ',
      'quote "inside"',
      'back\\slash',
      'line\nbreak',
      'émigré',
      '日本語',
      '🎉',
      'x'.repeat(498),
      '0',
      'null',
    ];
    const keys = [
      'plan',
      'firstName',
      'seats',
      '1',
      '10',
      '2',
      'a b',
      'ünïcödé',
      'camelCase',
      'snake_case',
      'x'.repeat(200),
    ];
    const value = (): string | number | boolean | Date =>
      pick<() => string | number | boolean | Date>([
        () => pick(texts),
        () => Math.round((random() - 0.5) * 1e6),
        () => (random() - 0.5) * 1e3,
        () => pick([0, -0.5, 1e21, Number.MAX_SAFE_INTEGER]),
        () => maybe(),
        () => new Date(Math.floor(random() * 4e12)),
      ])();
    const map = <V>(make: () => V, exclude: readonly string[] = []) =>
      Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [
          pick(keys.filter((key) => !exclude.includes(key))),
          make(),
        ]),
      );
    return Array.from({ length: count }, (_, index) => {
      const input: SendEventInput = {
        eventName: pick(['signup', 'plan changed', 'événement', `event${index}`, 'x'.repeat(400)]),
      };
      const contact = pick(['email', 'userId', 'both']);
      if (contact !== 'userId')
        input.email = pick(['ada@example.com', 'first.last+tag@sub.example.co.uk', 'jöhn@exämple.com']);
      if (contact !== 'email') input.userId = pick(['user-1', '42', 'ü', 'x'.repeat(100)]);
      if (maybe()) input.eventProperties = map(value);
      if (maybe()) input.contactProperties = map(() => (maybe(0.2) ? null : value()));
      if (maybe()) input.mailingLists = map(() => maybe(), []) as Record<string, boolean>;
      return input;
    });
  }

  const inputs = generateInputs(300, 20_261_123);

  it('generates inputs with every field, present and absent', () => {
    for (const field of ['email', 'userId', 'eventProperties', 'contactProperties', 'mailingLists'] as const) {
      expect(inputs.some((input) => field in input)).toBe(true);
      expect(inputs.some((input) => !(field in input))).toBe(true);
    }
  });

  it("for 300 generated inputs, the JSON text on the wire is the SDK's, byte for byte", async () => {
    const sdk = new LoopsClient(SECRET_KEY);
    sdk.apiRoot = `${server.url}/api/`;
    const differing: { input: SendEventInput; fromSdk: string; fromModule: string }[] = [];
    for (const input of inputs) {
      server.reset();
      await sdk.sendEvent(input as never);
      await loops.sendEvent(input);
      const [fromSdk, fromModule] = server.requests.map((request) => request.rawBody);
      if (fromSdk !== fromModule) differing.push({ input, fromSdk, fromModule });
    }
    expect(differing).toEqual([]);
  }, 60_000);
});

describe('errors from Loops answers', () => {
  const event: SendEventInput = { eventName: 'x', userId: 'u' };

  it('400 becomes LoopsApiError with the status, Loops message and body', async () => {
    server.script({ kind: 'status', status: 400, body: { success: false, message: 'Multiple contacts found' } });
    const error = (await rejection(loops.sendEvent(event))) as LoopsApiError;
    expect(error).toBeInstanceOf(LoopsApiError);
    expect(error).toMatchObject({ status: 400, loopsMessage: 'Multiple contacts found' });
    expect(error.body).toEqual({ success: false, message: 'Multiple contacts found' });
    expect(error.message).toBe('Loops answered 400: Multiple contacts found');
  });

  it('a non-JSON body (an HTML 502 from a load balancer) is kept as rawBody', async () => {
    server.script({ kind: 'status', status: 502, rawBody: '<html><body>Bad gateway</body></html>' });
    const error = (await rejection(loops.sendEvent(event))) as LoopsApiError;
    expect(error).toMatchObject({ status: 502, rawBody: '<html><body>Bad gateway</body></html>', body: undefined });
  });

  it.each([401, 403])('%i becomes LoopsAuthError without the key', async (status) => {
    server.script({ kind: 'status', status, body: { success: false, message: 'Invalid API key' } });
    const error = (await rejection(loops.sendEvent(event))) as LoopsAuthError;
    expect(error).toBeInstanceOf(LoopsAuthError);
    expect(error).toBeInstanceOf(LoopsApiError);
    expect(error.status).toBe(status);
    expect(error.message).toMatch(/rejected the API key/);
  });

  it('a wrong key, refused by the server check, is LoopsAuthError and sends nothing', async () => {
    const wrong = await createLoopsTestingApp(server, { apiKey: 'wrong-key', retry: { attempts: 3, minDelayMs: 5 } });
    try {
      const error = await rejection(wrong.loops.sendEvent(event));
      expect(error).toBeInstanceOf(LoopsAuthError);
      expect(error).toMatchObject({ status: 401, loopsMessage: 'Invalid API key' });
      // Not retried, and nothing accepted.
      expect(server.eventRequests().map((request) => request.status)).toEqual([401]);
      expect(server.accepted).toEqual([]);
    } finally {
      await wrong.app.close();
    }
  });

  it("reads Loops' older { error } body form", async () => {
    server.script({ kind: 'status', status: 401, body: { error: 'Invalid API key' } });
    const error = await rejection(loops.sendEvent(event));
    expect(error).toBeInstanceOf(LoopsAuthError);
    expect(error).toMatchObject({ loopsMessage: 'Invalid API key' });
  });

  it('429 becomes LoopsRateLimitError with the x-ratelimit-* headers', async () => {
    server.script({
      kind: 'status',
      status: 429,
      headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' },
    });
    const error = (await rejection(loops.sendEvent(event))) as LoopsRateLimitError;
    expect(error).toBeInstanceOf(LoopsRateLimitError);
    expect(error).toMatchObject({ status: 429, limit: 10, remaining: 0 });
  });

  it('429 without usable headers leaves limit and remaining undefined', async () => {
    server.script({ kind: 'status', status: 429, headers: { 'x-ratelimit-limit': '', 'x-ratelimit-remaining': '' } });
    const error = (await rejection(loops.sendEvent(event))) as LoopsRateLimitError;
    expect(error.limit).toBeUndefined();
    expect(error.remaining).toBeUndefined();
  });

  it('409 to the first request with a caller-supplied key resolves as deduplicated: Loops has that event', async () => {
    await loops.sendEvent(event, { idempotencyKey: 'once' });
    const again = await loops.sendEvent(event, { idempotencyKey: 'once' });
    expect(again).toEqual({ success: true, idempotencyKey: 'once', attempts: 1, deduplicated: true, dryRun: false });
    expect(server.eventRequests().map((request) => request.status)).toEqual([200, 409]);
    expect(server.acceptedCount('once')).toBe(1);
  });

  it('a refused connection becomes LoopsNetworkError with a cause', async () => {
    const closed = await LoopsCompatibleServer.start();
    await closed.close();
    const unreachable = await createLoopsTestingApp(closed, { retry: false });
    const error = (await rejection(unreachable.loops.sendEvent(event))) as LoopsNetworkError;
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.cause).toBeInstanceOf(Error);
    await unreachable.app.close();
  });

  it('no error, cause or log line carries the API key, even from a server that quotes it back', async () => {
    const quoting = (status: number) => (request: { headers: Record<string, unknown> }) =>
      ({
        kind: 'status',
        status,
        body: { success: false, message: `Refused (${String(request.headers.authorization)})` },
      }) as const;
    // A proxy's page that is not JSON, and JSON that quotes it deeper down.
    const quotingText = (request: { headers: Record<string, unknown> }) =>
      ({
        kind: 'status',
        status: 502,
        rawBody: `<html>Bad gateway for ${String(request.headers.authorization)}</html>`,
      }) as const;
    const quotingDeep = (request: { headers: Record<string, unknown> }) =>
      ({
        kind: 'status',
        status: 422,
        body: { success: false, error: { detail: [`token ${String(request.headers.authorization)}`] } },
      }) as const;
    const answers = [quoting(400), quoting(401), quoting(429), quoting(503), quotingText, quotingDeep];
    // An app of its own: Nest's Logger writes to the app created last, and its log is read below.
    const own = await createLoopsTestingApp(server, { apiKey: SECRET_KEY, retry: false });
    const { loops } = own;
    const errors: unknown[] = [];
    for (const answer of answers) {
      server.respondWith(answer);
      errors.push(await rejection(loops.sendEvent(event)));
    }
    server.respondWith(() => ({ kind: 'drop' }));
    errors.push(await rejection(loops.sendEvent(event)));
    errors.push(await rejection(loops.sendEvent({ eventName: 'a:b' } as SendEventInput)));
    loops.enqueueEvent(event);
    await loops.flush();
    await own.app.close();
    // The key did travel to the server and back in every answer's message, redacted on the way in.
    expect(
      server.eventRequests().filter((request) => request.headers.authorization === `Bearer ${SECRET_KEY}`),
    ).toHaveLength(8);
    expect(errors.map((error) => (error as Error).constructor.name)).toEqual([
      'LoopsApiError',
      'LoopsAuthError',
      'LoopsRateLimitError',
      'LoopsApiError',
      'LoopsApiError',
      'LoopsApiError',
      'LoopsNetworkError',
      'LoopsValidationError',
    ]);
    expect((errors[0] as LoopsApiError).loopsMessage).toBe('Refused (Bearer [redacted])');
    expect((errors[4] as LoopsApiError).rawBody).toBe('<html>Bad gateway for Bearer [redacted]</html>');
    expect((errors[5] as LoopsApiError).body).toEqual({
      success: false,
      error: { detail: ['token Bearer [redacted]'] },
    });
    const printed = errors.map((error) => {
      const { cause } = error as Error;
      return [
        String(error),
        (error as Error).stack,
        JSON.stringify(error),
        inspect(error, { depth: 5 }),
        String(cause),
      ].join('\n');
    });
    printed.push(...own.logger.texts());
    expect(own.logger.texts('error')).toHaveLength(1);
    expect(printed.join('\n')).not.toContain(SECRET_KEY);
  });
});
