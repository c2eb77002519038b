/**
 * The Loops-compatible server's `POST /v1/transactional`: the documented answers, each validated against Loops'
 * OpenAPI spec, the idempotency rules events have, and the rate limit shared with every other endpoint.
 */
import { componentSchema, responseSchema } from './support/loops-openapi';
import { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from './support/loops-server';

const API_KEY = 'test-key';
let server: LoopsCompatibleServer;

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ apiKey: API_KEY, rateLimitPerSecond: 0 });
});
afterEach(() => server.close());

async function post(
  body: unknown,
  headers: Record<string, string> = {},
  path = '/transactional',
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

function expectValid(validate: ReturnType<typeof responseSchema>, body: unknown): void {
  const valid = validate(body);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

const welcome = { transactionalId: 'cwelcome0000000000000000', email: 'ada@example.com' };

describe('POST /v1/transactional', () => {
  it('200: TransactionalSuccessResponse; the send is recorded with its key and path', async () => {
    const answer = await post({ ...welcome, dataVariables: { name: 'Ada' } }, { 'idempotency-key': 'k1' });
    expect(answer.status).toBe(200);
    expectValid(responseSchema('/v1/transactional', 'post', 200), answer.body);
    expect(server.accepted).toEqual([
      {
        path: '/api/v1/transactional',
        idempotencyKey: 'k1',
        body: { ...welcome, dataVariables: { name: 'Ada' } },
        receivedAt: expect.any(Number),
      },
    ]);
  });

  it('404 for an email the team does not have: TransactionalFailure3Response, as the spec documents', async () => {
    server.transactionalEmails.seed([{ id: 'cother' }]);
    const answer = await post(welcome);
    expect(answer.status).toBe(404);
    expectValid(responseSchema('/v1/transactional', 'post', 404), answer.body);
    expect(answer.body.error.path).toBe('transactionalId');
    expect(server.accepted).toEqual([]);
  });

  // The spec lists the five 400 bodies under `oneOf`, but every one of them also matches
  // `TransactionalSendFailureResponse` (success + message, nothing forbidden): only the plain form can satisfy the
  // oneOf. Each body is checked against the component it is documented as.
  it.each([
    [
      'missing data variables',
      () => server.transactionalEmails.seed([{ id: welcome.transactionalId, dataVariables: ['name', 'resetUrl'] }]),
      { ...welcome, dataVariables: { name: 'Ada' } },
      'TransactionalFailure5Response',
      { path: 'dataVariables', message: 'Missing required data variable(s): resetUrl' },
    ],
    [
      'a draft',
      () => server.transactionalEmails.seed([{ id: welcome.transactionalId, published: false }]),
      welcome,
      'TransactionalFailure3Response',
      { path: 'transactionalId', message: 'Transactional email is not published.' },
    ],
    [
      'attachments the team has not had enabled',
      () => (server.transactionalEmails.attachmentsEnabled = false),
      { ...welcome, attachments: [{ filename: 'a.txt', contentType: 'text/plain', data: 'aGk=' }] },
      'TransactionalFailure4Response',
      { path: 'attachments', reason: expect.any(String) },
    ],
  ])('400 for %s, in its documented form', async (_case, arrange, body, schema, error) => {
    arrange();
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expectValid(componentSchema(schema as string), answer.body);
    expect(answer.body.error).toEqual(error);
  });

  it.each([
    ['no email', { transactionalId: 'x' }, 'email'],
    ['no transactionalId', { email: 'ada@example.com' }, 'transactionalId'],
    ['a boolean data variable', { ...welcome, dataVariables: { vip: true } }, 'dataVariables.vip'],
    [
      'an attachment that is not base64',
      { ...welcome, attachments: [{ filename: 'a', contentType: 'b', data: '%' }] },
      'attachments[0]',
    ],
    ['an unknown field', { ...welcome, eventName: 'x' }, 'eventName'],
  ])('400 for %s: TransactionalFailure2Response naming the field', async (_case, body, path) => {
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expectValid(componentSchema('TransactionalFailure2Response'), answer.body);
    expect(answer.body.path).toBe(path);
  });

  it('409 for a reused key: IdempotencyKeyFailureResponse, under every idempotency rule; a 400 does not use it up', async () => {
    for (const idempotencyRule of LOOPS_IDEMPOTENCY_RULES) {
      await server.close();
      server = await LoopsCompatibleServer.start({ apiKey: API_KEY, rateLimitPerSecond: 0, idempotencyRule });
      expect((await post({ email: 'ada@example.com' }, { 'idempotency-key': 'k' })).status).toBe(400);
      expect((await post(welcome, { 'idempotency-key': 'k' })).status).toBe(200);
      const answer = await post({ ...welcome, email: 'bob@example.com' }, { 'idempotency-key': 'k' });
      expect(answer.status).toBe(409);
      expectValid(responseSchema('/v1/transactional', 'post', 409), answer.body);
    }
  });

  it('401 for a wrong key, before anything else', async () => {
    const answer = await post(welcome, { authorization: 'Bearer wrong' });
    expect(answer.status).toBe(401);
    expect(server.accepted).toEqual([]);
  });

  it('shares the rate limit with events/send: the second request of a second is refused whichever endpoint it hits', async () => {
    let now = 1_000_000;
    await server.close();
    server = await LoopsCompatibleServer.start({ apiKey: API_KEY, rateLimitPerSecond: 1, clock: () => now });
    expect((await post({ eventName: 'signup', userId: 'u1' }, {}, '/events/send')).status).toBe(200);
    expect((await post(welcome)).status).toBe(429);
    now += 1_000;
    expect((await post(welcome)).status).toBe(200);
    expect((await post({ eventName: 'signup', userId: 'u2' }, {}, '/events/send')).status).toBe(429);
  });

  it("the spec's 400 oneOf refuses a documented body that is not the plain form: why the components are used", () => {
    const documented = componentSchema('TransactionalFailure5Response');
    const example = {
      success: false,
      message: 'Missing required data variable(s): confirmationUrl',
      error: { path: 'dataVariables', message: 'Missing required data variable(s): confirmationUrl' },
      transactionalId: 'cll42l54f20i1la0lfooe3z12',
    };
    expect(documented(example)).toBe(true);
    expect(responseSchema('/v1/transactional', 'post', 400)(example)).toBe(false);
  });

  it('the check can fail: a body the spec does not document is reported', () => {
    const validate = componentSchema('TransactionalFailure5Response');
    expect(validate({ success: false, message: 'x', error: { path: 'dataVariables' } })).toBe(false);
    expect(validate.errors).toEqual([expect.objectContaining({ params: { missingProperty: 'transactionalId' } })]);
  });
});
