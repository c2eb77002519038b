/**
 * LoopsTestingModule records every kind of call: transactional emails (with the same 409 for a reused key as
 * events), contact calls against an in-memory audience answering as Loops does, and every request in `calls`.
 */
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  LoopsApiError,
  LoopsContactExistsError,
  LoopsContactNotFoundError,
  LoopsContactsService,
  LoopsEventsService,
  LoopsTransactionalService,
  LoopsValidationError,
} from '../lib';
import { LoopsTestingModule, LoopsTestRecorder } from '../lib/testing';

let app: INestApplication;
let recorder: LoopsTestRecorder;
let transactional: LoopsTransactionalService;
let contacts: LoopsContactsService;
let loops: LoopsEventsService;

beforeEach(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [LoopsTestingModule.forRoot()] }).compile();
  app = moduleRef.createNestApplication();
  await app.init();
  recorder = app.get(LoopsTestRecorder);
  transactional = app.get(LoopsTransactionalService);
  contacts = app.get(LoopsContactsService);
  loops = app.get(LoopsEventsService);
});
afterEach(() => app.close());

describe('transactional emails', () => {
  it('records what an awaited and a background send put on the wire, and waits for a background one', async () => {
    const { idempotencyKey } = await transactional.send({
      transactionalId: 'welcome',
      email: 'ada@example.com',
      dataVariables: { name: 'Ada' },
    });
    transactional.enqueue({ transactionalId: 'reset', email: 'bob@example.com' }, { idempotencyKey: 'reset-bob' });
    const reset = await recorder.waitForTransactional('reset');
    expect(reset).toEqual({
      transactionalId: 'reset',
      email: 'bob@example.com',
      body: { transactionalId: 'reset', email: 'bob@example.com' },
      idempotencyKey: 'reset-bob',
      headers: expect.objectContaining({ 'Idempotency-Key': 'reset-bob' }),
    });
    expect(recorder.transactionalSent('welcome')).toEqual([
      expect.objectContaining({ idempotencyKey, body: expect.objectContaining({ dataVariables: { name: 'Ada' } }) }),
    ]);
    expect(recorder.events).toEqual([]);
  });

  it('a reused key gets 409 (deduplicated for a key you chose); failNext scripts a refusal', async () => {
    await transactional.send({ transactionalId: 'welcome', email: 'ada@example.com' }, { idempotencyKey: 'k' });
    const again = await transactional.send(
      { transactionalId: 'welcome', email: 'ada@example.com' },
      { idempotencyKey: 'k' },
    );
    expect(again.deduplicated).toBe(true);
    expect(recorder.transactionalEmails).toHaveLength(1);
    recorder.failNext(1, { status: 404, body: { success: false, message: 'Transactional email not found.' } });
    await expect(transactional.send({ transactionalId: 'gone', email: 'ada@example.com' })).rejects.toThrow(
      'Loops has no transactional email "gone" (404)',
    );
  });

  it('waitForTransactional waits for an email, not for an event of the same name', async () => {
    const waiting = recorder.waitForTransactional('welcome', { timeoutMs: 100 });
    await loops.sendEvent({ eventName: 'welcome', userId: 'u1' });
    await expect(waiting).rejects.toThrow(
      'No Loops transactional email "welcome" was sent within 100 ms (sent so far: welcome)',
    );
  });

  it('clear() forgets the emails sent and their keys: the same key is accepted again', async () => {
    await transactional.send({ transactionalId: 'welcome', email: 'ada@example.com' }, { idempotencyKey: 'k' });
    recorder.clear();
    expect(recorder.transactionalEmails).toEqual([]);
    const again = await transactional.send(
      { transactionalId: 'welcome', email: 'ada@example.com' },
      { idempotencyKey: 'k' },
    );
    expect(again.deduplicated).toBe(false);
    expect(recorder.transactionalSent('welcome')).toEqual([expect.objectContaining({ idempotencyKey: 'k' })]);
  });

  it('waitForTransactional says what was sent when the email never comes', async () => {
    await loops.sendEvent({ eventName: 'signup', userId: 'u1' });
    await expect(recorder.waitForTransactional('welcome', { timeoutMs: 20 })).rejects.toThrow(
      'No Loops transactional email "welcome" was sent within 20 ms (sent so far: signup)',
    );
  });
});

describe('contacts', () => {
  it('keeps an audience that the calls create, change, find and delete, as Loops answers them', async () => {
    const { id } = await contacts.createContact({ email: 'ada@example.com', properties: { plan: 'pro' } });
    await expect(contacts.createContact({ email: 'ada@example.com' })).rejects.toBeInstanceOf(LoopsContactExistsError);
    await contacts.updateContact({ email: 'ada@example.com', userId: 'u1', properties: { plan: null, seats: 2 } });
    await contacts.updateMailingLists({ userId: 'u1' }, { news: true });
    const found = await contacts.findContact({ userId: 'u1' });
    expect(found).toMatchObject({ id, email: 'ada@example.com', userId: 'u1', seats: 2, mailingLists: { news: true } });
    expect(found).not.toHaveProperty('plan');
    expect(recorder.audience.find({ email: 'ada@example.com' })).toEqual(found);
    await contacts.deleteContact({ email: 'ada@example.com' });
    expect(recorder.audience.all).toEqual([]);
    await expect(contacts.deleteContact({ email: 'ada@example.com' })).rejects.toBeInstanceOf(
      LoopsContactNotFoundError,
    );
    expect(await contacts.findContact({ email: 'ada@example.com' })).toBeUndefined();
  });

  it('events and addToAudience change the audience as they change Loops', async () => {
    await loops.sendEvent({
      eventName: 'signup',
      email: 'bob@example.com',
      userId: 'u-bob',
      contactProperties: { plan: 'pro' },
      mailingLists: { news: true },
    });
    await loops.sendEvent({ eventName: 'upgraded', userId: 'u-bob', contactProperties: { seats: 3 } });
    expect(recorder.audience.find({ email: 'bob@example.com' })).toMatchObject({
      userId: 'u-bob',
      plan: 'pro',
      seats: 3,
      mailingLists: { news: true },
    });
    expect(recorder.audience.find({ email: 'bob@example.com' })).not.toHaveProperty('eventName');
    await expect(contacts.createContact({ email: 'bob@example.com' })).rejects.toBeInstanceOf(LoopsContactExistsError);

    // A userId alone that the audience lacks is accepted (the real account may have it) and creates no one.
    await loops.sendEvent({ eventName: 'login', userId: 'u-unknown' });
    await transactional.send({ transactionalId: 'receipt', email: 'cy@example.com' });
    await transactional.send({ transactionalId: 'welcome', email: 'dee@example.com', addToAudience: true });
    await transactional.send({ transactionalId: 'welcome', email: 'bob@example.com', addToAudience: true });
    expect(recorder.audience.all.map((contact) => contact.email)).toEqual(['bob@example.com', 'dee@example.com']);
    expect(recorder.events.map((event) => event.eventName)).toEqual(['signup', 'upgraded', 'login']);
  });

  it('clearing a built-in field keeps it as null, as Loops returns it; a custom one goes', async () => {
    await contacts.createContact({ email: 'ada@example.com', properties: { firstName: 'Ada', plan: 'pro' } });
    await contacts.updateContact({ email: 'ada@example.com', properties: { firstName: null, plan: null } });
    const found = await contacts.findContact({ email: 'ada@example.com' });
    expect(found).toMatchObject({ email: 'ada@example.com', firstName: null });
    expect(found).not.toHaveProperty('plan');
  });

  it('a list set to false unsubscribes the contact from it', async () => {
    await contacts.updateMailingLists({ email: 'ada@example.com' }, { news: true, offers: true });
    await contacts.updateMailingLists({ email: 'ada@example.com' }, { news: false });
    expect(recorder.audience.find({ email: 'ada@example.com' })?.mailingLists).toEqual({ offers: true });
  });

  it('audience.all and find hand out copies: changing one changes nothing in the audience', async () => {
    await contacts.createContact({ email: 'ada@example.com', properties: { plan: 'pro' } });
    recorder.audience.all[0].plan = 'changed';
    const found = recorder.audience.find({ email: 'ada@example.com' });
    if (found) found.plan = 'changed too';
    expect(await contacts.findContact({ email: 'ada@example.com' })).toMatchObject({ plan: 'pro' });
  });

  it('an email and a userId of two different contacts: 400 for an event or an update, and nothing changes', async () => {
    await contacts.createContact({ email: 'a@example.com' });
    await contacts.createContact({ email: 'b@example.com', userId: 'u2' });

    await expect(loops.sendEvent({ eventName: 'signup', email: 'a@example.com', userId: 'u2' })).rejects.toThrow(
      'Multiple contacts found',
    );
    await expect(contacts.updateContact({ email: 'a@example.com', userId: 'u2' })).rejects.toThrow(
      'Multiple contacts found',
    );
    expect(recorder.events).toEqual([]);
    expect(recorder.audience.all.map((contact) => [contact.email, contact.userId])).toEqual([
      ['a@example.com', null],
      ['b@example.com', 'u2'],
    ]);
  });

  it('records every call, in order, with its status; failNext applies to contact calls too', async () => {
    recorder.failNext(1, { status: 400, body: { success: false, message: 'Invalid email address.' } });
    await expect(contacts.updateContact({ email: 'ada@example.com' })).rejects.toThrow(
      'Loops refused the contact update (400): Invalid email address.',
    );
    await contacts.updateContact({ email: 'ada@example.com' });
    await contacts.findContact({ email: 'ada+x@example.com' });
    await loops.sendEvent({ eventName: 'signup', email: 'ada@example.com' });
    expect(recorder.calls.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      'PUT /contacts/update 400',
      'PUT /contacts/update 200',
      'GET /contacts/find 200',
      'POST /events/send 200',
    ]);
    expect(recorder.calls[2].query).toEqual({ email: 'ada+x@example.com' });
    expect(recorder.calls[1].body).toEqual({ email: 'ada@example.com' });
  });

  it('validates before anything is recorded', async () => {
    await expect(contacts.findContact({ email: 'ada@example.com', userId: 'u1' } as never)).rejects.toBeInstanceOf(
      LoopsValidationError,
    );
    expect(recorder.calls).toEqual([]);
  });

  it('clear() forgets the calls and the audience', async () => {
    await contacts.updateContact({ email: 'ada@example.com' });
    recorder.failNext(1, { status: 500 });
    recorder.clear();
    expect(recorder.calls).toEqual([]);
    expect(recorder.audience.all).toEqual([]);
    await expect(contacts.updateContact({ email: 'ada@example.com' })).resolves.toMatchObject({ dryRun: false });
  });

  it('a scripted error is thrown as it is and the call still recorded', async () => {
    recorder.failNext(1, new LoopsApiError({ status: 502 }));
    await expect(contacts.findContact({ userId: 'u1' })).rejects.toBeInstanceOf(LoopsApiError);
    expect(recorder.calls).toEqual([expect.objectContaining({ method: 'GET', path: '/contacts/find' })]);
    expect(recorder.calls[0].status).toBeUndefined();
  });
});

describe('the API key check', () => {
  it('is valid without a network, recorded as a call and never as an event; a scripted 401 rejects it', async () => {
    await expect(loops.apiKeyStatus()).resolves.toMatchObject({ state: 'valid', teamName: 'Loops testing' });
    expect(recorder.calls).toEqual([expect.objectContaining({ method: 'GET', path: '/api-key', status: 200 })]);
    expect(recorder.events).toEqual([]);

    recorder.failNext(1, { status: 401, body: { success: false, message: 'Invalid API key' } });
    await expect(loops.apiKeyStatus({ maxAgeMs: 0 })).resolves.toMatchObject({ state: 'rejected', status: 401 });
    expect(recorder.events).toEqual([]);
  });
});
