/**
 * The Loops-compatible server's answers to events/send and api-key, validated against Loops' OpenAPI spec, so that
 * the server the library is tested against cannot drift from the documented API. (The account read endpoints are
 * checked in loops-server-account.spec.ts.) 429 and 5xx have no documented body.
 */
import { responseSchema } from './support/loops-openapi';
import { LoopsCompatibleServer } from './support/loops-server';

const API_KEY = 'test-key';
let server: LoopsCompatibleServer;

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ apiKey: API_KEY, rateLimitPerSecond: 0 });
});
afterEach(() => server.close());

async function send(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.baseUrl}/events/send`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

function expectDocumented(path: string, method: string, answer: { status: number; body: unknown }): void {
  const validate = responseSchema(path, method, answer.status);
  const valid = validate(answer.body);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

describe('POST /v1/events/send', () => {
  it('200: EventSuccessResponse', async () => {
    const answer = await send({ eventName: 'signup', email: 'ada@example.com' });
    expect(answer.status).toBe(200);
    expectDocumented('/v1/events/send', 'post', answer);
  });

  it.each([
    ['no contact', { eventName: 'signup' }],
    ['a colon in the name', { eventName: 'a:b', email: 'ada@example.com' }],
    ['a nested property', { eventName: 'signup', email: 'ada@example.com', eventProperties: { a: { b: 1 } } }],
    ['a reserved contact property', { eventName: 'signup', email: 'ada@example.com', teamId: 'x' }],
  ])('400 for %s: EventFailureResponse', async (_name, body) => {
    const answer = await send(body);
    expect(answer.status).toBe(400);
    expectDocumented('/v1/events/send', 'post', answer);
  });

  it('409 for a reused key: IdempotencyKeyFailureResponse, under every idempotency rule', async () => {
    for (const idempotencyRule of ['any-reuse', 'replay-identical', 'rate-limited-too'] as const) {
      await server.close();
      server = await LoopsCompatibleServer.start({ apiKey: API_KEY, rateLimitPerSecond: 0, idempotencyRule });
      expect((await send({ eventName: 'signup', userId: 'u1' }, { 'idempotency-key': 'k' })).status).toBe(200);
      const answer = await send({ eventName: 'signup', userId: 'u2' }, { 'idempotency-key': 'k' });
      expect(answer.status).toBe(409);
      expectDocumented('/v1/events/send', 'post', answer);
    }
  });

  it('the check can fail: a body the spec does not allow is reported', () => {
    const validate = responseSchema('/v1/events/send', 'post', 400);
    expect(validate({ success: false })).toBe(false);
    expect(validate.errors).toEqual([expect.objectContaining({ params: { missingProperty: 'message' } })]);
  });
});

describe('GET /v1/api-key', () => {
  it.each([
    [200, API_KEY],
    [401, 'wrong'],
  ])('%i', async (status, key) => {
    const response = await fetch(`${server.baseUrl}/api-key`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(status);
    expectDocumented('/v1/api-key', 'get', { status, body: await response.json() });
  });
});
