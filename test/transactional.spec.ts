/**
 * LoopsTransactionalService against the Loops-compatible server over HTTP: what goes on the wire, the idempotency
 * rules events have, retries, timeouts, the typed errors Loops' refusals become, background delivery with outcomes
 * on its own deliveries$, and dry run.
 */
import {
  type LoopsDeliveryOutcome,
  LoopsEventsService,
  LoopsIdempotencyConflictError,
  LoopsNetworkError,
  LoopsRateLimitError,
  LoopsShutdownError,
  LoopsTransactionalDataVariablesError,
  LoopsTransactionalError,
  LoopsTransactionalNotFoundError,
  type LoopsTransactionalOutcome,
  LoopsTransactionalService,
  LoopsValidationError,
  type LoopsModuleOptions,
} from '../lib';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from './support/loops-testing-app';
import { until } from './support/until';
import { version } from '../package.json';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ID = 'cwelcome0000000000000000';

let server: LoopsCompatibleServer;
const apps: LoopsTestingApp[] = [];

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((testing) => testing.app.close()));
  server.reset();
});
afterAll(() => server.close());

async function boot(options: Partial<LoopsModuleOptions> = {}) {
  const testing = await createLoopsTestingApp(server, options);
  apps.push(testing);
  const transactional = testing.app.get(LoopsTransactionalService);
  const outcomes: LoopsTransactionalOutcome[] = [];
  transactional.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  return { ...testing, transactional, outcomes };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const transactionalRequests = () => server.requests.filter((request) => request.path === '/api/v1/transactional');

describe('send (awaited)', () => {
  it('posts the body, the key, the user agent and the bearer key to /v1/transactional', async () => {
    const { transactional } = await boot();
    const input = {
      transactionalId: ID,
      email: 'ada@example.com',
      addToAudience: true,
      dataVariables: { name: 'Ada', count: 3, items: [{ title: 'Book', price: 12 }] },
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', data: Buffer.from('hi').toString('base64') }],
    };
    const result = await transactional.send(input);
    expect(result).toEqual({
      success: true,
      idempotencyKey: expect.stringMatching(UUID_V4),
      attempts: 1,
      deduplicated: false,
      dryRun: false,
    });
    const [request] = transactionalRequests();
    expect(request.method).toBe('POST');
    expect(request.body).toEqual(input);
    expect(request.headers).toMatchObject({
      'idempotency-key': result.idempotencyKey,
      'user-agent': `nestjs-loops/${version}`,
      authorization: `Bearer ${TEST_API_KEY}`,
      'content-type': 'application/json',
    });
    expect(server.accepted.map((accepted) => accepted.path)).toEqual(['/api/v1/transactional']);
  });

  it('retries a 503 and a 429 with the same key, and resolves once Loops accepted it', async () => {
    const { transactional } = await boot({ retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 5 } });
    server.script({ kind: 'status', status: 503 }, { kind: 'status', status: 429 });
    const result = await transactional.send({ transactionalId: ID, email: 'ada@example.com' });
    expect(result.attempts).toBe(3);
    const requests = transactionalRequests();
    expect(requests.map((request) => request.status)).toEqual([503, 429, 200]);
    expect(new Set(requests.map((request) => request.idempotencyKey))).toEqual(new Set([result.idempotencyKey]));
  });

  it("a 200 that is not Loops' JSON (a proxy's page) is not taken as sent: retried with the same key", async () => {
    const { transactional } = await boot({ retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 5 } });
    server.script({ kind: 'status', status: 200, rawBody: '<html>Sign in</html>' });
    const result = await transactional.send({ transactionalId: ID, email: 'ada@example.com' });
    expect(result.attempts).toBe(2);
    const requests = transactionalRequests();
    expect(requests.map((request) => request.status)).toEqual([200, 200]);
    expect(new Set(requests.map((request) => request.idempotencyKey))).toEqual(new Set([result.idempotencyKey]));
    expect(server.accepted).toHaveLength(1);
  });

  it('a 409 after a lost answer is this email, delivered: deduplicated, not sent twice', async () => {
    const { transactional } = await boot({ retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 5 }, timeoutMs: 200 });
    server.script({ kind: 'accept-then-drop' });
    const result = await transactional.send({ transactionalId: ID, email: 'ada@example.com' });
    expect(result).toMatchObject({ attempts: 2, deduplicated: true });
    expect(server.accepted).toHaveLength(1);
  });

  it("a key you chose that Loops already has: deduplicated on its first request; a generated key's 409 is a conflict", async () => {
    const { transactional } = await boot({ retry: false });
    await transactional.send({ transactionalId: ID, email: 'ada@example.com' }, { idempotencyKey: 'welcome-1' });
    const again = await transactional.send(
      { transactionalId: ID, email: 'ada@example.com' },
      { idempotencyKey: 'welcome-1' },
    );
    expect(again).toMatchObject({ deduplicated: true, attempts: 1 });
    expect(server.accepted).toHaveLength(1);

    server.respondWith(() => ({ kind: 'status', status: 409, body: { success: false, message: 'used' } }));
    const conflict = await rejection(transactional.send({ transactionalId: ID, email: 'bob@example.com' }));
    expect(conflict).toBeInstanceOf(LoopsIdempotencyConflictError);
  });

  it('a 404 is LoopsTransactionalNotFoundError naming the id and what to check; not retried', async () => {
    const { transactional } = await boot({ retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 5 } });
    server.transactionalEmails.seed([{ id: 'cother' }]);
    const error = (await rejection(
      transactional.send({ transactionalId: ID, email: 'ada@example.com' }),
    )) as LoopsTransactionalNotFoundError;
    expect(error).toBeInstanceOf(LoopsTransactionalNotFoundError);
    expect(error).toBeInstanceOf(LoopsTransactionalError);
    expect(error).toMatchObject({ status: 404, transactionalId: ID, path: 'transactionalId' });
    expect(error.message).toContain(`no transactional email "${ID}" (404): check transactionalId`);
    expect(transactionalRequests()).toHaveLength(1);
  });

  it('missing data variables: LoopsTransactionalDataVariablesError listing them and saying where they go', async () => {
    const { transactional } = await boot();
    server.transactionalEmails.seed([{ id: ID, dataVariables: ['name', 'resetUrl', 'code'] }]);
    const error = (await rejection(
      transactional.send({ transactionalId: ID, email: 'ada@example.com', dataVariables: { name: 'Ada' } }),
    )) as LoopsTransactionalDataVariablesError;
    expect(error).toBeInstanceOf(LoopsTransactionalDataVariablesError);
    expect(error.missingDataVariables).toEqual(['resetUrl', 'code']);
    expect(error.message).toBe(
      `Loops refused transactional email "${ID}" (400): it needs the data variable(s) resetUrl, code; ` +
        'add them to dataVariables (send "" for an optional one left empty)',
    );
  });

  it.each([
    [
      'a draft',
      () => server.transactionalEmails.seed([{ id: ID, published: false }]),
      'transactionalId',
      'not published',
    ],
    [
      'attachments not enabled',
      () => (server.transactionalEmails.attachmentsEnabled = false),
      'attachments',
      'enabled for the team by Loops support',
    ],
  ])('%s: LoopsTransactionalError with the path Loops blamed', async (_case, arrange, path, text) => {
    arrange();
    const { transactional } = await boot();
    const error = (await rejection(
      transactional.send({
        transactionalId: ID,
        email: 'ada@example.com',
        attachments: [{ filename: 'a.txt', contentType: 'text/plain', data: 'aGk=' }],
      }),
    )) as LoopsTransactionalError;
    expect(error.constructor).toBe(LoopsTransactionalError);
    expect(error).toMatchObject({ status: 400, path, transactionalId: ID });
    expect(error.message).toContain(text);
  });

  it('measures attachments decoded: just under 10 MiB of files, about 13 MiB as base64, is sent', async () => {
    const { transactional } = await boot({ retry: false });
    const data = 'A'.repeat(4 * Math.floor((10 * 1024 * 1024) / 3));
    const error = await rejection(
      transactional.send({
        transactionalId: ID,
        email: 'ada@example.com',
        attachments: [{ filename: 'big.pdf', contentType: 'application/pdf', data }],
      }),
    );
    // The 413 is the test server's own 1 MiB cap: what matters is that the library let the email out.
    expect(error).not.toBeInstanceOf(LoopsValidationError);
    expect(transactionalRequests().map((request) => request.status)).toEqual([413]);
  });

  it('a 429 that outlasts the attempts is LoopsRateLimitError, as for events', async () => {
    const { transactional } = await boot({ retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 1 } });
    server.respondWith(() => ({ kind: 'status', status: 429 }));
    expect(await rejection(transactional.send({ transactionalId: ID, email: 'ada@example.com' }))).toBeInstanceOf(
      LoopsRateLimitError,
    );
  });

  it('sendTimeoutMs bounds the whole send: ETIMEDOUT, and mayHaveBeenAccepted when an attempt may have landed', async () => {
    const { transactional } = await boot({
      retry: { attempts: 10, minDelayMs: 50, maxDelayMs: 50 },
      timeoutMs: 100,
      sendTimeoutMs: 400,
    });
    server.respondWith(() => ({ kind: 'delay', ms: 1_000 }));
    const error = (await rejection(
      transactional.send({ transactionalId: ID, email: 'ada@example.com' }),
    )) as LoopsNetworkError;
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toBe('Loops did not accept the transactional email within sendTimeoutMs (400 ms)');
    expect(error.mayHaveBeenAccepted).toBe(true);
  });

  it('an invalid input is refused before any request, naming the field', async () => {
    const { transactional } = await boot();
    const error = (await rejection(
      transactional.send({ transactionalId: ID, email: 'nope', dataVariables: { at: new Date() } as never }),
    )) as LoopsValidationError;
    expect(error).toBeInstanceOf(LoopsValidationError);
    expect(error.message).toMatch(/^Invalid Loops transactional email: /);
    expect(error.errors.map((issue) => issue.path)).toEqual(['email', 'dataVariables.at']);
    expect(server.requests).toEqual([]);
  });
});

describe('enqueue (background)', () => {
  it('delivers through the queue; the outcome is on its own deliveries$, with kind, never on the events one', async () => {
    const { transactional, outcomes, loops } = await boot();
    const eventOutcomes: LoopsDeliveryOutcome[] = [];
    loops.deliveries$.subscribe((outcome) => eventOutcomes.push(outcome));
    const key = transactional.enqueue({ transactionalId: ID, email: 'ada@example.com' });
    loops.enqueueEvent({ eventName: 'signup', email: 'ada@example.com' });
    await loops.flush();
    expect(outcomes).toEqual([
      {
        status: 'sent',
        kind: 'transactional',
        transactionalId: ID,
        idempotencyKey: key,
        attempts: 1,
        deduplicated: false,
        dryRun: false,
      },
    ]);
    expect(eventOutcomes).toEqual([expect.objectContaining({ status: 'sent', kind: 'event', eventName: 'signup' })]);
    expect(server.accepted.map((accepted) => accepted.path).sort()).toEqual([
      '/api/v1/events/send',
      '/api/v1/transactional',
    ]);
  });

  it('a failure is reported with what to send again, logged with the address masked; sending it again with the key delivers it once', async () => {
    const { transactional, outcomes, loops, logger } = await boot({ retry: false });
    server.script({ kind: 'status', status: 503 });
    const input = { transactionalId: ID, email: 'ada@example.com', dataVariables: { name: 'Ada' } };
    const key = await transactional.enqueueAsync(input);
    await loops.flush();
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'failed',
        kind: 'transactional',
        transactionalId: ID,
        idempotencyKey: key,
        attempts: 1,
        mayHaveBeenAccepted: true,
        transactional: input,
      }),
    ]);
    const [line] = logger.texts('error');
    expect(line).toContain(
      `Loops transactional email "${ID}" (${key}) to a***@example.com failed after 1 attempt(s): Loops answered 503 ` +
        '(it may have reached Loops all the same)',
    );
    expect(line).not.toContain('ada@');
    const failed = outcomes[0] as Extract<LoopsTransactionalOutcome, { status: 'failed' }>;
    transactional.enqueue(failed.transactional, { idempotencyKey: failed.idempotencyKey });
    await loops.flush();
    expect(outcomes[1]).toMatchObject({ status: 'sent', idempotencyKey: key });
    expect(server.accepted).toHaveLength(1);
  });

  it('an email cut short in flight by shutdown is reported failed as an email, not as an event', async () => {
    const { transactional, outcomes, app } = await boot({ shutdownTimeoutMs: 50 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    transactional.enqueue({ transactionalId: ID, email: 'ada@example.com' });
    await until(() => transactionalRequests().length === 1, 'the email in flight');
    await app.close();
    apps.splice(0);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'failed', kind: 'transactional' })]);
    const failed = outcomes[0] as Extract<LoopsTransactionalOutcome, { status: 'failed' }>;
    expect(failed.error).toBeInstanceOf(LoopsShutdownError);
    expect(failed.error.message).toBe('The app shut down while this email was being delivered');
  });

  it('failedEmails() and retryFailed() say they need BullMQ with the in-memory queue', async () => {
    const { transactional } = await boot();
    await expect(transactional.failedEmails()).rejects.toThrow('failedEmails() needs BullMQ delivery');
    await expect(transactional.retryFailed()).rejects.toThrow('retryFailed() needs BullMQ delivery');
  });

  it('an invalid input throws at once and queues nothing', async () => {
    const { transactional, app } = await boot();
    expect(() => transactional.enqueue({ transactionalId: '', email: 'ada@example.com' })).toThrow(
      LoopsValidationError,
    );
    expect(app.get(LoopsEventsService).pendingCount).toBe(0);
  });
});

describe('dryRun', () => {
  it('logs the names and types of what it would send, the address masked, and sends nothing', async () => {
    const { transactional, logger, outcomes, loops } = await boot({ dryRun: true });
    const result = await transactional.send({
      transactionalId: ID,
      email: 'ada@example.com',
      dataVariables: { name: 'Ada', items: [{ title: 'Book' }] },
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', data: 'aGk=' }],
    });
    transactional.enqueue({ transactionalId: ID, email: 'bob@example.com' });
    await loops.flush();
    expect(result).toMatchObject({ attempts: 0, dryRun: true });
    expect(outcomes).toEqual([expect.objectContaining({ status: 'sent', dryRun: true, attempts: 0 })]);
    expect(logger.texts('log').filter((line) => line.startsWith('[dry run]'))).toEqual([
      `[dry run] Loops transactional email "${ID}" (${result.idempotencyKey}): to a***@example.com, ` +
        'dataVariables { name: string, items: 1 item(s) }, attachments invoice.pdf (application/pdf) LoopsEventsService',
      expect.stringMatching(
        /^\[dry run\] Loops transactional email "cwelcome0+" \(.+\): to b\*\*\*@example\.com LoopsEventsService$/,
      ),
    ]);
    expect(server.requests).toEqual([]);
  });
});
