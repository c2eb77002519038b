import { LoopsCompatibleServer, type LoopsAccountSeed, seededId } from './support/loops-server';
import { responseSchema } from './support/loops-openapi';

const API_KEY = 'test-key';

const listPatterns = responseSchema('/v1/event-patterns', 'get', 200);
const patternsFailure = responseSchema('/v1/event-patterns', 'get', 400);
const getPattern = responseSchema('/v1/event-patterns/{eventPatternId}', 'get', 200);
const patternNotFound = responseSchema('/v1/event-patterns/{eventPatternId}', 'get', 404);
const getPatternByName = responseSchema('/v1/event-patterns/by-name/{eventName}', 'get', 200);
const listContactProperties = responseSchema('/v1/contacts/properties', 'get', 200);
const listMailingLists = responseSchema('/v1/lists', 'get', 200);
const apiKey401 = responseSchema('/v1/api-key', 'get', 401);

/** 45 events: three pages of 20, the app's own and two from integrations, with every property type. */
const seed: LoopsAccountSeed = {
  eventPatterns: [
    ...Array.from({ length: 43 }, (_, index) => ({
      eventName: `event${String(index).padStart(2, '0')}`,
      properties: { plan: 'string', seats: 'number', trial: 'boolean', endsAt: 'date' } as const,
    })),
    { eventName: 'invoice.paid', incomingWebhookPlatform: 'stripe' },
    { eventName: 'user.created', incomingWebhookPlatform: 'clerk', properties: { id: 'string' } },
  ],
  contactProperties: [
    { key: 'plan', label: 'Plan', type: 'string' },
    { key: 'signedUpAt', type: 'date' },
  ],
  mailingLists: [
    { name: 'Product updates', description: 'Monthly news', isPublic: true },
    { id: 'cl_private', name: 'Beta testers', isPublic: false },
  ],
};

let server: LoopsCompatibleServer;

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  server.account.seed(seed);
});

afterEach(() => server.close());

async function get(path: string, apiKey: string | null = API_KEY, method = 'GET') {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: apiKey === null ? {} : { authorization: `Bearer ${apiKey}` },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** Fails with ajv's explanation, so that a red test says where the answer left the spec. */
function expectValid(validate: ReturnType<typeof responseSchema>, body: unknown): void {
  const valid = validate(body);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

describe('GET /v1/event-patterns', () => {
  it('serves every pattern once, 20 a page by default, along nextCursor, in ListEventPatternsResponse shape', async () => {
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const { status, body } = await get(`/event-patterns${cursor ? `?cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      expectValid(listPatterns, body);
      pages.push(body);
      cursor = body.pagination.nextCursor;
    } while (cursor !== null);

    expect(pages.map((page) => page.data.length)).toEqual([20, 20, 5]);
    expect(pages.map((page) => page.pagination)).toEqual([
      expect.objectContaining({ totalResults: 45, returnedResults: 20, perPage: 20, totalPages: 3 }),
      expect.objectContaining({ totalResults: 45, returnedResults: 20, perPage: 20, totalPages: 3 }),
      expect.objectContaining({ returnedResults: 5, nextCursor: null, nextPage: null }),
    ]);
    const names = pages.flatMap((page) => page.data.map((pattern: { eventName: string }) => pattern.eventName));
    expect(names).toEqual(seed.eventPatterns!.map((pattern) => pattern.eventName));
    expect(pages[2].data.at(-1)).toEqual({
      id: seededId('event', 'user.created'),
      eventName: 'user.created',
      incomingWebhookPlatform: 'clerk',
    });
    expect(pages[0].data[0].incomingWebhookPlatform).toBeNull();
  });

  it('takes perPage from 10 to 50 and answers 400 in EventPatternFailureResponse shape outside it', async () => {
    const fifty = await get('/event-patterns?perPage=50');
    const tooSmall = await get('/event-patterns?perPage=9');
    const tooLarge = await get('/event-patterns?perPage=51');
    const notANumber = await get('/event-patterns?perPage=ten');

    expectValid(listPatterns, fifty.body);
    expect(fifty.body.data).toHaveLength(45);
    expect(fifty.body.pagination).toMatchObject({ totalPages: 1, nextCursor: null });
    for (const refused of [tooSmall, tooLarge, notANumber]) {
      expect(refused.status).toBe(400);
      expectValid(patternsFailure, refused.body);
      expect(refused.body.message).toContain('perPage');
    }
  });

  it('answers 400 to a cursor it never gave out', async () => {
    const { status, body } = await get('/event-patterns?cursor=bm90LWEtY3Vyc29y');

    expect(status).toBe(400);
    expectValid(patternsFailure, body);
  });

  it('serves an empty account as one empty page', async () => {
    server.account.seed({});

    const { body } = await get('/event-patterns');

    expectValid(listPatterns, body);
    expect(body).toEqual({
      pagination: { totalResults: 0, returnedResults: 0, perPage: 20, totalPages: 0, nextCursor: null, nextPage: null },
      data: [],
    });
  });
});

describe('GET /v1/event-patterns/{id} and /by-name/{eventName}', () => {
  it('answers the pattern with its properties in EventPattern shape, by id and by name', async () => {
    const id = seededId('event', 'event07');
    const byId = await get(`/event-patterns/${id}`);
    const byName = await get('/event-patterns/by-name/event07');
    const expected = {
      id,
      eventName: 'event07',
      eventProperties: [
        { name: 'plan', type: 'string' },
        { name: 'seats', type: 'number' },
        { name: 'trial', type: 'boolean' },
        { name: 'endsAt', type: 'date' },
      ],
      incomingWebhookPlatform: null,
    };

    expectValid(getPattern, byId.body);
    expectValid(getPatternByName, byName.body);
    expect(byId.body).toEqual(expected);
    expect(byName.body).toEqual(expected);
  });

  it('decodes the name and tells names apart by case, answering 404 in EventPatternFailureResponse shape', async () => {
    const stripe = await get(`/event-patterns/by-name/${encodeURIComponent('invoice.paid')}`);
    const wrongCase = await get('/event-patterns/by-name/EVENT07');
    const unknownId = await get('/event-patterns/cnope');

    expectValid(getPattern, stripe.body);
    expect(stripe.body).toMatchObject({ eventProperties: [], incomingWebhookPlatform: 'stripe' });
    for (const missing of [wrongCase, unknownId]) {
      expect(missing.status).toBe(404);
      expectValid(patternNotFound, missing.body);
    }
  });
});

describe('GET /v1/contacts/properties', () => {
  it('lists only the custom properties with list=custom, and the built-in ones too by default', async () => {
    const custom = await get('/contacts/properties?list=custom');
    const all = await get('/contacts/properties');

    expectValid(listContactProperties, custom.body);
    expectValid(listContactProperties, all.body);
    expect(custom.body).toEqual([
      { key: 'plan', label: 'Plan', type: 'string' },
      { key: 'signedUpAt', label: 'signedUpAt', type: 'date' },
    ]);
    expect(all.body.map((property: { key: string }) => property.key)).toEqual([
      'email',
      'firstName',
      'lastName',
      'source',
      'subscribed',
      'userGroup',
      'userId',
      'plan',
      'signedUpAt',
    ]);
  });

  it('answers 400 to another list value', async () => {
    const { status, body } = await get('/contacts/properties?list=mine');

    expect(status).toBe(400);
    expect(body).toEqual({ success: false, message: 'list must be "all" or "custom"' });
  });
});

describe('GET /v1/lists', () => {
  it('lists the mailing lists in MailingList shape, with a null description when there is none', async () => {
    const { body } = await get('/lists');

    expectValid(listMailingLists, body);
    expect(body).toEqual([
      { id: seededId('list', 'Product updates'), name: 'Product updates', description: 'Monthly news', isPublic: true },
      { id: 'cl_private', name: 'Beta testers', description: null, isPublic: false },
    ]);
  });
});

describe('every read endpoint', () => {
  const paths = [
    '/event-patterns',
    `/event-patterns/${seededId('event', 'event00')}`,
    '/contacts/properties',
    '/lists',
  ];

  it.each(paths)('%s answers 401 without the key and 405 to POST', async (path) => {
    const noKey = await get(path, null);
    const wrongKey = await get(path, 'nope');
    const post = await get(path, API_KEY, 'POST');

    expect([noKey.status, wrongKey.status]).toEqual([401, 401]);
    expectValid(apiKey401, wrongKey.body);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('counts against the rate limit shared with events/send, and answers 429 over it', async () => {
    server.rateLimitPerSecond = 2;

    const statuses = [];
    for (const path of ['/lists', '/contacts/properties', '/event-patterns']) statuses.push((await get(path)).status);
    const send = await fetch(`${server.baseUrl}/events/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventName: 'signup', email: 'ada@example.com' }),
    });

    expect(statuses).toEqual([200, 200, 429]);
    expect(send.status).toBe(429);
  });

  it('answers scripted statuses first, in order, then the account again', async () => {
    server.account.script({ status: 503, body: { success: false, message: 'down' } }, { status: 429 });

    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await fetch(`${server.baseUrl}/lists`, { headers: { authorization: `Bearer ${API_KEY}` } })).status,
      );

    expect(statuses).toEqual([503, 429, 200]);
    expect(server.account.reads.map((read) => read.status)).toEqual([503, 429, 200]);
  });

  it('records each read with its query, and reset() empties the account', async () => {
    await get('/event-patterns?perPage=10');

    expect(server.account.reads).toEqual([
      { path: '/api/v1/event-patterns', query: new URLSearchParams({ perPage: '10' }), status: 200 },
    ]);

    server.reset();

    expect(server.account.reads).toEqual([]);
    expect((await get('/lists')).body).toEqual([]);
    expect((await get('/event-patterns')).body.data).toEqual([]);
  });

  it('leaves other routes as they were', async () => {
    expect((await get('/api-key')).body).toEqual({ success: true, teamName: 'Test team' });
    expect((await get('/campaigns', API_KEY, 'POST')).status).toBe(404);
  });
});
