/**
 * LoopsContactsService against the Loops-compatible server over HTTP: each call's request and typed result, the
 * errors Loops' refusals become, retries judged by what an earlier attempt may have done, the shared rate limiter,
 * the catalog, timeouts and dry run.
 */
import {
  defineLoopsEvents,
  LoopsApiError,
  LoopsContactError,
  LoopsContactExistsError,
  LoopsContactNotFoundError,
  LoopsContactsService,
  type LoopsModuleOptions,
  LoopsNetworkError,
  LoopsTransactionalService,
  LoopsValidationError,
} from '../lib';
import { LoopsCompatibleServer } from './support/loops-server';
import { until } from './support/until';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from './support/loops-testing-app';

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
  return { ...testing, contacts: testing.app.get(LoopsContactsService) };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const contactRequests = () => server.requests.filter((request) => request.path.startsWith('/api/v1/contacts/'));

describe('the calls', () => {
  it('createContact posts the body and resolves with the id Loops gave; Dates go as ISO strings', async () => {
    const { contacts } = await boot();
    const since = new Date('2026-01-02T03:04:05Z');
    const saved = await contacts.createContact({
      email: 'ada@example.com',
      userId: 'u1',
      properties: { firstName: 'Ada', plan: 'pro', since },
      mailingLists: { list1: true },
    });
    const stored = server.contacts.find({ email: 'ada@example.com' });
    expect(saved).toEqual({ id: stored?.id, attempts: 1, dryRun: false });
    const [request] = contactRequests();
    expect(request).toMatchObject({ method: 'POST', path: '/api/v1/contacts/create' });
    expect(request.body).toEqual({
      firstName: 'Ada',
      plan: 'pro',
      since: '2026-01-02T03:04:05.000Z',
      userId: 'u1',
      mailingLists: { list1: true },
      email: 'ada@example.com',
    });
    expect(request.headers).toMatchObject({ authorization: `Bearer ${TEST_API_KEY}` });
    expect(request.headers['idempotency-key']).toBeUndefined();
  });

  it('updateContact creates, then updates by userId; null clears; updateMailingLists subscribes and unsubscribes', async () => {
    const { contacts } = await boot();
    const created = await contacts.updateContact({ email: 'ada@example.com', properties: { plan: 'pro' } });
    const updated = await contacts.updateContact({
      email: 'ada@example.com',
      userId: 'u1',
      properties: { plan: null, seats: 3 },
    });
    expect(updated.id).toBe(created.id);
    await contacts.updateMailingLists({ userId: 'u1' }, { list1: true, list2: true });
    await contacts.updateMailingLists({ userId: 'u1' }, { list2: false });
    expect(server.contacts.all).toEqual([
      expect.objectContaining({ id: created.id, userId: 'u1', seats: 3, mailingLists: { list1: true } }),
    ]);
    expect(server.contacts.all[0]).not.toHaveProperty('plan');
    expect(contactRequests().map((request) => `${request.method} ${request.path}`)).toEqual(
      Array(4).fill('PUT /api/v1/contacts/update'),
    );
  });

  it('leaves out a property or list set to undefined, as JSON does, as events do', async () => {
    const { contacts } = await boot();
    const plan: string | undefined = undefined;
    await contacts.updateContact({
      email: 'ada@example.com',
      properties: { plan, seats: 3 },
      mailingLists: { list1: true, list2: undefined },
    } as never);
    expect(contactRequests().map((request) => request.body)).toEqual([
      { email: 'ada@example.com', seats: 3, mailingLists: { list1: true } },
    ]);
  });

  it('findContact by email (encoded) or userId returns the contact with its custom properties, or undefined', async () => {
    const { contacts } = await boot();
    await contacts.createContact({ email: 'ada+news@example.com', userId: 'u1', properties: { vip: true } });
    const found = await contacts.findContact({ email: 'ada+news@example.com' });
    expect(found).toMatchObject({ email: 'ada+news@example.com', userId: 'u1', vip: true, subscribed: true });
    expect(await contacts.findContact({ userId: 'u1' })).toEqual(found);
    expect(await contacts.findContact({ userId: 'nobody' })).toBeUndefined();
    expect(contactRequests()[1]).toMatchObject({ method: 'GET', path: '/api/v1/contacts/find' });
  });

  it('findContact returns the first contact of the list Loops answered', async () => {
    const { contacts } = await boot();
    const contact = { id: 'c1', email: 'ada@example.com', userId: null, mailingLists: {} };
    server.script({ kind: 'status', status: 200, body: [contact, { ...contact, id: 'c2' }] });
    await expect(contacts.findContact({ email: 'ada@example.com' })).resolves.toMatchObject({ id: 'c1' });
  });

  it('findContact reads back a contact near the largest the rules allow: 1 000 properties of 490 CJK characters', async () => {
    const { contacts } = await boot();
    // About 1.5 MB in UTF-8, written in two updates: the test server takes a request body of 1 MiB at most.
    const properties = Object.fromEntries(
      Array.from({ length: 1_000 }, (_, index) => [`p${index}`, String(index).padEnd(490, '語')]),
    );
    const entries = Object.entries(properties);
    for (const half of [entries.slice(0, 500), entries.slice(500)]) {
      await contacts.updateContact({ email: 'ada@example.com', properties: Object.fromEntries(half) });
    }
    const found = await contacts.findContact({ email: 'ada@example.com' });
    expect(found).toMatchObject(properties);
  });

  it('deleteContact deletes; a second one is LoopsContactNotFoundError', async () => {
    const { contacts } = await boot();
    await contacts.createContact({ email: 'ada@example.com' });
    expect(await contacts.deleteContact({ email: 'ada@example.com' })).toEqual({ attempts: 1, dryRun: false });
    expect(server.contacts.all).toEqual([]);
    const error = await rejection(contacts.deleteContact({ email: 'ada@example.com' }));
    expect(error).toBeInstanceOf(LoopsContactNotFoundError);
    expect(error).toBeInstanceOf(LoopsContactError);
    expect(error.message).toBe('Loops has no contact with this email or userId (404): nothing was deleted');
  });
});

describe("Loops' refusals", () => {
  it('a contact that exists: LoopsContactExistsError pointing at updateContact, not retried', async () => {
    const { contacts } = await boot({ retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 1 } });
    await contacts.createContact({ email: 'ada@example.com' });
    const error = (await rejection(contacts.createContact({ email: 'ada@example.com' }))) as LoopsContactExistsError;
    expect(error).toBeInstanceOf(LoopsContactExistsError);
    expect(error).toMatchObject({ status: 409, operation: 'create', mayHaveBeenAccepted: false });
    expect(error.message).toBe(
      'Loops already has a contact with this email or userId (409): use updateContact to change it',
    );
    expect(contactRequests()).toHaveLength(2);
  });

  it('a 400 is LoopsContactError naming the call and quoting Loops', async () => {
    const { contacts } = await boot();
    server.script({ kind: 'status', status: 400, body: { success: false, message: 'Invalid email address.' } });
    const error = (await rejection(contacts.updateContact({ email: 'ada@example.com' }))) as LoopsContactError;
    expect(error.constructor).toBe(LoopsContactError);
    expect(error.message).toBe('Loops refused the contact update (400): Invalid email address.');
  });

  it("an update's 409 is a LoopsContactError naming the call", async () => {
    // Not an event's 409 ("this idempotency key was used"): here Loops says another contact has the email or userId.
    const { contacts } = await boot();
    server.script({
      kind: 'status',
      status: 409,
      body: { success: false, message: 'Email or userId already exists.' },
    });
    const error = await rejection(contacts.updateContact({ email: 'ada@example.com', userId: 'taken' }));
    expect(error.name).toBe('LoopsContactError');
    expect(error.message).toContain('update');
  });

  it('a 200 without an id is an error, not an undefined id', async () => {
    const { contacts } = await boot();
    server.script({ kind: 'status', status: 200, body: { success: true } });
    const error = await rejection(contacts.updateContact({ email: 'ada@example.com' }));
    expect(error).toBeInstanceOf(LoopsApiError);
    expect(error.message).toBe("Loops answered 200 without the contact's id");
  });
});

describe('the API key', () => {
  it('never reaches an error, even from a server that echoes it: contact calls and transactional emails alike', async () => {
    const { contacts, app } = await boot({ retry: false });
    const echo = { success: false, message: `Bad request from Bearer ${TEST_API_KEY}` };
    server.script({ kind: 'status', status: 400, body: echo }, { kind: 'status', status: 400, body: echo });
    const contactError = await rejection(contacts.updateContact({ email: 'ada@example.com' }));
    const emailError = await rejection(
      app.get(LoopsTransactionalService).send({ transactionalId: 'c1', email: 'ada@example.com' }),
    );
    for (const error of [contactError, emailError]) {
      expect(error.message).toContain('Bearer [redacted]');
      expect(JSON.stringify((error as LoopsApiError).body)).not.toContain(TEST_API_KEY);
    }
  });
});

describe('retries', () => {
  const retry = { attempts: 3, minDelayMs: 5, maxDelayMs: 5 };

  it('an update retries a 503 and a dropped connection, and resolves', async () => {
    const { contacts } = await boot({ retry });
    server.script({ kind: 'status', status: 503 }, { kind: 'drop' });
    const saved = await contacts.updateContact({ email: 'ada@example.com', properties: { plan: 'pro' } });
    expect(saved.attempts).toBe(3);
    expect(server.contacts.all).toHaveLength(1);
  });

  it('a delete whose answer was lost, then 404: the contact is gone, and the call resolves', async () => {
    const { contacts } = await boot({ retry, timeoutMs: 200 });
    await contacts.createContact({ email: 'ada@example.com' });
    server.script({ kind: 'accept-then-drop' });
    expect(await contacts.deleteContact({ email: 'ada@example.com' })).toEqual({ attempts: 2, dryRun: false });
    expect(
      contactRequests()
        .slice(1)
        .map((request) => request.status),
    ).toEqual([undefined, 404]);
  });

  it('a delete refused with 429, then 404: LoopsContactNotFoundError, since no attempt can have deleted it', async () => {
    const { contacts } = await boot({ retry });
    server.script({ kind: 'status', status: 429, body: { success: false } });
    const error = await rejection(contacts.deleteContact({ email: 'nobody@example.com' }));
    expect(error).toBeInstanceOf(LoopsContactNotFoundError);
    expect(contactRequests().map((request) => request.status)).toEqual([429, 404]);
  });

  it('a create refused with 429, then 409: LoopsContactExistsError not blaming this call for the contact', async () => {
    const { contacts } = await boot({ retry });
    await contacts.createContact({ email: 'ada@example.com' });
    server.script({ kind: 'status', status: 429, body: { success: false } });
    const error = (await rejection(contacts.createContact({ email: 'ada@example.com' }))) as LoopsContactExistsError;
    expect(error).toBeInstanceOf(LoopsContactExistsError);
    expect(error.mayHaveBeenAccepted).toBe(false);
    expect(error.message).toBe(
      'Loops already has a contact with this email or userId (409): use updateContact to change it',
    );
    expect(
      contactRequests()
        .slice(1)
        .map((request) => request.status),
    ).toEqual([429, 409]);
  });

  it('a create whose answer was lost, then 409: LoopsContactExistsError saying this call may have created it', async () => {
    const { contacts } = await boot({ retry, timeoutMs: 200 });
    server.script({ kind: 'accept-then-drop' });
    const error = (await rejection(contacts.createContact({ email: 'ada@example.com' }))) as LoopsContactExistsError;
    expect(error).toBeInstanceOf(LoopsContactExistsError);
    expect(error.mayHaveBeenAccepted).toBe(true);
    expect(error.message).toContain('an earlier attempt of this call, whose answer was lost, may have created it');
    expect(server.contacts.all).toHaveLength(1);
  });

  it('sendTimeoutMs bounds a call: ETIMEDOUT', async () => {
    const { contacts } = await boot({
      retry: { attempts: 10, minDelayMs: 20, maxDelayMs: 20 },
      timeoutMs: 50,
      sendTimeoutMs: 300,
    });
    server.respondWith(() => ({ kind: 'delay', ms: 1_000 }));
    const error = (await rejection(contacts.findContact({ userId: 'u1' }))) as LoopsNetworkError;
    expect(error).toBeInstanceOf(LoopsNetworkError);
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toBe('Loops did not answer the contact call within sendTimeoutMs (300 ms)');
  });

  it('the signal cancels a call, waits included', async () => {
    const { contacts } = await boot({ retry: { attempts: 5, minDelayMs: 10_000, maxDelayMs: 10_000 } });
    // Every request, not the next one: a late request of the previous test's app must not take this test's 503.
    server.respondWith(() => ({ kind: 'status', status: 503 }));
    const controller = new AbortController();
    const pending = contacts.updateContact({ email: 'ada@example.com' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = (await rejection(pending)) as LoopsNetworkError;
    expect(error.code).toBe('ABORT_ERR');
  });

  it('sendTimeoutMs cuts an attempt in flight short, not only the waits between attempts', async () => {
    const { contacts } = await boot({ retry: false, timeoutMs: 10_000, sendTimeoutMs: 300 });
    server.respondWith(() => ({ kind: 'delay', ms: 5_000 }));
    const started = performance.now();
    const error = (await rejection(contacts.findContact({ userId: 'u1' }))) as LoopsNetworkError;
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    // The option's bound, with a wide margin; cut short only by timeoutMs, the call would last the server's 5 s.
    expect(performance.now() - started).toBeLessThan(300 + 2_000);
  });

  it("the caller's AbortSignal cuts an attempt in flight short", async () => {
    const { contacts } = await boot({ retry: false, timeoutMs: 10_000 });
    server.respondWith(() => ({ kind: 'delay', ms: 5_000 }));
    const controller = new AbortController();
    const pending = contacts.updateContact({ email: 'ada@example.com' }, { signal: controller.signal });
    await until(() => server.requests.length === 1, 'the update in flight');
    const started = performance.now();
    controller.abort();
    const error = (await rejection(pending)) as LoopsNetworkError;
    expect(error).toMatchObject({ code: 'ABORT_ERR' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('the rate limiter is the one events use', () => {
  it('contact calls and events take slots of one limiter: the fourth request of a 3/s second waits a second', async () => {
    let now = 1_000_000;
    const limited = await LoopsCompatibleServer.start({ rateLimitPerSecond: 3, clock: () => now });
    const testing = await createLoopsTestingApp(limited, { rateLimit: { requestsPerSecond: 3 } });
    apps.push(testing);
    const contacts = testing.app.get(LoopsContactsService);
    try {
      const calls = [
        contacts.updateContact({ email: 'a@example.com' }),
        testing.loops.sendEvent({ eventName: 'x', userId: 'u1' }),
        contacts.findContact({ email: 'a@example.com' }),
        testing.loops.sendEvent({ eventName: 'x', userId: 'u2' }),
      ];
      // The fourth request waits for a slot the first three hold: Loops never sees it within their second.
      await until(() => limited.requests.length >= 3, 'the first three requests');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(limited.requests).toHaveLength(3);
      now += 1_000;
      await Promise.all(calls);
      expect(limited.requests.map((request) => request.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await limited.close();
    }
  });
});

describe('validation and the catalog, before any request', () => {
  it('refuses a bad input with every issue named', async () => {
    const { contacts } = await boot();
    const error = (await rejection(
      contacts.updateContact({
        email: 'nope',
        properties: { teamId: 'x', email: 'a@b.co', plan: { tier: 1 }, renewsAt: new Date('+010000-01-01') },
      } as never),
    )) as LoopsValidationError;
    expect(error.message).toMatch(/^Invalid Loops contact: /);
    expect(error.errors.map((issue) => `${issue.path} ${issue.rule}`)).toEqual([
      'email isEmail',
      'properties.teamId reservedName',
      'properties.email fixedKey',
      'properties.plan isPropertyValue',
      'properties.renewsAt isPropertyValue',
    ]);
    expect(error.message).toContain('(got a Date outside the years 0 to 9999)');
    expect(server.requests).toEqual([]);
  });

  it('a field a call does not take is named, with where it belongs: properties for writes, nowhere for find and delete', async () => {
    const { contacts } = await boot();
    const messages = async (call: Promise<unknown>) =>
      ((await rejection(call)) as LoopsValidationError).errors.map((issue) => issue.message);

    expect(await messages(contacts.updateContact({ email: 'ada@example.com', plan: 'pro' } as never))).toEqual([
      'plan is not a field of this contact call (custom properties go in properties)',
    ]);
    expect(
      await messages(contacts.findContact({ email: 'ada@example.com', properties: { plan: 'pro' } } as never)),
    ).toEqual(['properties is not a field of this contact call (this call takes only email or userId)']);
    expect(await messages(contacts.deleteContact({ userId: 'u1', plan: 'pro' } as never))).toEqual([
      'plan is not a field of this contact call (this call takes only email or userId)',
    ]);
    expect(server.requests).toEqual([]);
  });

  const catalog = defineLoopsEvents({
    events: { signup: {} },
    contactProperties: { plan: 'string' },
    mailingLists: { news: 'cl_news' },
  });

  it('a property or list the catalog lacks is refused (error mode), or logged once and sent (warn mode)', async () => {
    const strict = await boot({ catalog });
    const error = (await rejection(
      strict.contacts.updateContact({
        email: 'ada@example.com',
        properties: { plna: 'pro', firstName: 'Ada' },
        mailingLists: { cl_other: true },
      }),
    )) as LoopsValidationError;
    expect(error.errors.map((issue) => `${issue.path} ${issue.rule}`)).toEqual([
      'properties.plna catalogContactProperty',
      'mailingLists.cl_other catalogMailingList',
    ]);
    expect(error.message).toMatch(/^Invalid Loops contact: properties\.plna is not a contact property/);
    expect(error.message).toContain('did you mean "plan"');
    expect(server.requests).toEqual([]);

    const lenient = await boot({ catalog, catalogViolations: 'warn' });
    for (let index = 0; index < 2; index++) {
      await lenient.contacts.updateContact({ email: 'ada@example.com', properties: { plan: 3 } as never });
    }
    expect(lenient.logger.texts('warn')).toEqual([
      expect.stringContaining('Loops contact breaks the event catalog (sent anyway): properties.plan must be a string'),
    ]);
    expect(contactRequests()).toHaveLength(2);
  });
});

describe('dryRun', () => {
  it('logs each call, the address masked, sends nothing, and resolves with dry-run results', async () => {
    const { contacts, logger } = await boot({ dryRun: true, apiKey: undefined });
    expect(await contacts.createContact({ email: 'ada@example.com', properties: { plan: 'pro' } })).toEqual({
      id: undefined,
      attempts: 0,
      dryRun: true,
    });
    expect(await contacts.findContact({ email: 'ada@example.com' })).toBeUndefined();
    expect(await contacts.deleteContact({ userId: 'u1' })).toEqual({ attempts: 0, dryRun: true });
    expect(logger.texts('log').filter((line) => line.startsWith('[dry run]'))).toEqual([
      '[dry run] Loops POST /contacts/create: plan: string, email a***@example.com LoopsEventsService',
      '[dry run] Loops GET /contacts/find: email a***@example.com: not looked up; resolves as not found LoopsEventsService',
      '[dry run] Loops POST /contacts/delete: userId u1 LoopsEventsService',
    ]);
    expect(server.requests).toEqual([]);
  });
});
