import { INestApplication } from '@nestjs/common';
import { LoopsEventsService } from 'nestjs-loops';
import { buildLoopsWebhookPayload, postLoopsWebhook } from 'nestjs-loops/testing';
import request from 'supertest';
import { CapturingLogger } from '../../test/support/capturing-logger';
import { AcceptedEvent, LoopsCompatibleServer } from '../../test/support/loops-server';
import { type EnvVars } from '../src/demo/with-env';
import { WelcomeEmail } from '../src/transactional-emails';
import { bootSampleApp } from './support/boot-sample-app';

const JANE = { email: 'jane@example.com', firstName: 'Jane', plan: 'pro' };
const SAM = { email: 'sam@example.com', firstName: 'Sam', plan: 'starter' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('sample app: accounts', () => {
  let server: LoopsCompatibleServer;
  let app: INestApplication;
  let logger: CapturingLogger;

  beforeAll(async () => {
    server = await LoopsCompatibleServer.start();
  });
  afterAll(() => server.close());
  afterEach(async () => {
    await app.close();
    server.reset();
  });

  async function boot(env?: EnvVars): Promise<void> {
    ({ app, logger } = await bootSampleApp(server, env));
  }
  const http = () => request(app.getHttpServer());
  const signUp = (body: object) => http().post('/accounts').send(body);

  /** The events Loops accepted once the app's background queue is empty. */
  async function delivered(eventName?: string): Promise<AcceptedEvent[]> {
    await app.get(LoopsEventsService).flush();
    return server.accepted.filter(
      (event) => event.path.endsWith('/events/send') && (!eventName || event.body.eventName === eventName),
    );
  }

  /** The transactional emails Loops accepted once the app's background queue is empty. */
  async function emailed(): Promise<AcceptedEvent[]> {
    await app.get(LoopsEventsService).flush();
    return server.accepted.filter((event) => event.path.endsWith('/transactional'));
  }

  describe('POST /accounts', () => {
    beforeEach(() => boot());

    it('creates the account and sends signup with the contact, its first name and its plan', async () => {
      const response = await signUp(JANE).expect(201);
      const account = response.body as { id: string; trialEndsAt: string };
      expect(account).toMatchObject({ ...JANE, id: expect.stringMatching(UUID) });

      const events = await delivered();
      expect(events.map((event) => event.body)).toEqual([
        {
          eventName: 'signup',
          firstName: 'Jane',
          plan: 'pro',
          eventProperties: { plan: 'pro', trialEndsAt: account.trialEndsAt },
          email: JANE.email,
          userId: account.id,
        },
      ]);
    });

    it.each([
      ['a bad email', { ...JANE, email: 'jane' }, 'email must be an email'],
      [
        'an unknown plan',
        { ...JANE, plan: 'platinum' },
        'plan must be one of the following values: starter, pro, team',
      ],
      ['no first name', { email: JANE.email, plan: 'pro' }, 'firstName should not be empty'],
      ['a field the DTO does not have', { ...JANE, isAdmin: true }, 'property isAdmin should not exist'],
    ])('answers 400 to a sign-up with %s, and sends nothing', async (_case, body, message) => {
      const response = await signUp(body).expect(400);
      expect(response.body.message).toContain(message);
      await delivered();
      expect(server.requests).toEqual([]);
    });

    it('sends the welcome email with the data variables its template uses, once per account', async () => {
      server.transactionalEmails.seed([{ id: WelcomeEmail.id, dataVariables: [...WelcomeEmail.dataVariables] }]);
      const { id } = (await signUp(JANE).expect(201)).body as { id: string };
      const [email] = await emailed();
      expect(email.body).toEqual({
        transactionalId: WelcomeEmail.id,
        email: JANE.email,
        dataVariables: { firstName: 'Jane', plan: 'pro' },
      });
      expect(email.idempotencyKey).toBe(`welcome-${id}`);
      expect(server.requests.filter((request) => request.path.endsWith('/transactional'))).toHaveLength(1);
    });

    it('sends the welcome email whose ID LOOPS_WELCOME_EMAIL_ID names', async () => {
      await app.close();
      await boot({ LOOPS_WELCOME_EMAIL_ID: 'cmyownwelcome' });
      await signUp(JANE).expect(201);
      expect((await emailed()).map((email) => email.body.transactionalId)).toEqual(['cmyownwelcome']);
    });

    it('a sign-up answers 201 even when Loops refuses the welcome email, which is logged', async () => {
      server.transactionalEmails.seed([{ id: 'csomethingelse' }]);
      await signUp(JANE).expect(201);
      expect(await emailed()).toEqual([]);
      expect(logger.texts('error')).toEqual([
        expect.stringContaining(`Loops transactional email "${WelcomeEmail.id}"`),
      ]);
      expect(logger.texts('error')[0]).toContain('(404)');
    });

    it('answers 409 to a second sign-up with the same email, and sends one signup', async () => {
      await signUp(JANE).expect(201);
      await signUp({ ...JANE, email: 'JANE@example.com' }).expect(409);
      expect(await delivered('signup')).toHaveLength(1);
    });
  });

  describe('PATCH /accounts/:id/plan', () => {
    beforeEach(() => boot());

    it('changes the plan and sends planChanged, with an idempotency key naming the change', async () => {
      const { id } = (await signUp(JANE)).body as { id: string };
      const response = await http().patch(`/accounts/${id}/plan`).send({ plan: 'team' }).expect(200);
      expect(response.body).toMatchObject({ id, plan: 'team' });

      const [event] = await delivered('planChanged');
      expect(event.body).toEqual({
        eventName: 'planChanged',
        plan: 'team',
        eventProperties: { plan: 'team' },
        email: JANE.email,
      });
      expect(event.idempotencyKey).toBe(`planChanged-${id}-${Date.parse(response.body.updatedAt)}`);
    });

    it('sends nothing for the plan the account is on (409), an unknown account (404) or a bad plan (400)', async () => {
      const { id } = (await signUp(JANE)).body as { id: string };
      await http().patch(`/accounts/${id}/plan`).send({ plan: 'pro' }).expect(409);
      await http().patch('/accounts/3b241101-e2bb-4255-8caf-4136c566a962/plan').send({ plan: 'team' }).expect(404);
      await http().patch(`/accounts/${id}/plan`).send({ plan: 'free' }).expect(400);
      expect(await delivered('planChanged')).toEqual([]);
    });
  });

  describe('DELETE /accounts/:id (mode: await)', () => {
    beforeEach(() => boot());

    it('answers 204 only once Loops has accepted accountDeleted', async () => {
      const { id } = (await signUp(JANE)).body as { id: string };
      await delivered();
      server.script({ kind: 'delay', ms: 200 });

      const started = Date.now();
      const response = await http().delete(`/accounts/${id}`).expect(204);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(response.text).toBe('');
      // No flush: the event must already be there when the answer arrives.
      expect(server.accepted.map((event) => event.body)).toContainEqual({
        eventName: 'accountDeleted',
        email: JANE.email,
      });
    });

    it('fails the request when Loops refuses the event, though the account is gone', async () => {
      const { id } = (await signUp(JANE)).body as { id: string };
      await delivered();
      server.script({ kind: 'status', status: 400, body: { success: false, message: 'Refused' } });

      await http().delete(`/accounts/${id}`).expect(500);
      await http().delete(`/accounts/${id}`).expect(404);
      expect(await delivered('accountDeleted')).toEqual([]);
    });
  });

  describe('POST /jobs/trial-reminders', () => {
    async function signUpBoth(): Promise<{ jane: string; sam: string }> {
      const jane = (await signUp(JANE)).body.id as string;
      const sam = (await signUp(SAM)).body.id as string;
      await delivered();
      return { jane, sam };
    }
    const runJob = () => http().post('/jobs/trial-reminders').expect(200);

    it('sends trialEnding once to each account whose trial ends within 3 days', async () => {
      await boot({ TRIAL_DAYS: '2' });
      const { jane, sam } = await signUpBoth();

      expect((await runJob()).body).toEqual({ sent: 2, failed: 0 });
      expect((await runJob()).body).toEqual({ sent: 0, failed: 0 });

      const reminders = await delivered('trialEnding');
      expect(reminders.map((event) => event.idempotencyKey).sort()).toEqual(
        [`trialEnding-${jane}`, `trialEnding-${sam}`].sort(),
      );
      expect(reminders.map((event) => event.body)).toContainEqual({
        eventName: 'trialEnding',
        eventProperties: { plan: 'pro', trialEndsAt: expect.any(String), daysLeft: 2 },
        email: JANE.email,
      });
    });

    it('leaves alone the trials that end later', async () => {
      await boot();
      await signUpBoth();
      expect((await runJob()).body).toEqual({ sent: 0, failed: 0 });
      expect(await delivered('trialEnding')).toEqual([]);
    });

    it('reminds each account once when two runs overlap', async () => {
      await boot({ TRIAL_DAYS: '2' });
      await signUpBoth();
      // Holds the first reminder sent, so that the other run starts before either has marked an account.
      server.script({ kind: 'delay', ms: 100 });

      const runs = await Promise.all([runJob(), runJob()]);
      expect(runs.map((run) => run.body.sent as number).reduce((a, b) => a + b)).toBe(2);
      expect(runs.map((run) => run.body.failed)).toEqual([0, 0]);
      expect(await delivered('trialEnding')).toHaveLength(2);
      expect(server.eventRequests().filter((request) => request.status === 409)).toHaveLength(2);
    });

    it('tries a reminder that failed again on the next run', async () => {
      await boot({ TRIAL_DAYS: '2' });
      await signUpBoth();
      server.script({ kind: 'status', status: 400, body: { success: false, message: 'Refused' } });

      expect((await runJob()).body).toEqual({ sent: 1, failed: 1 });
      expect(logger.texts('error')).toEqual([expect.stringMatching(/^Trial reminder for account \S+ failed: /)]);
      expect((await runJob()).body).toEqual({ sent: 1, failed: 0 });
      expect(await delivered('trialEnding')).toHaveLength(2);
    });
  });

  describe('Loops webhooks (POST /loops/webhooks)', () => {
    const about = (account: { id: string; email: string }) => ({
      contactIdentity: { email: account.email, userId: account.id },
    });
    const emailStatusOf = async (id: string) => (await http().get(`/accounts/${id}`).expect(200)).body.emailStatus;

    it('marks the account on email.hardBounced, and an unsubscribe after it keeps it bounced', async () => {
      await boot();
      const jane = (await signUp(JANE)).body as { id: string; email: string };
      expect(await emailStatusOf(jane.id)).toBe('subscribed');

      const bounce = await postLoopsWebhook(app, buildLoopsWebhookPayload('email.hardBounced', about(jane)));
      expect(bounce.status).toBe(204);
      expect(await emailStatusOf(jane.id)).toBe('bounced');

      await postLoopsWebhook(app, buildLoopsWebhookPayload('contact.unsubscribed', about(jane)));
      expect(await emailStatusOf(jane.id)).toBe('bounced');
    });

    it('marks the account on contact.unsubscribed, found by email when Loops has no userId', async () => {
      await boot();
      const sam = (await signUp(SAM)).body as { id: string };
      const payload = buildLoopsWebhookPayload('contact.unsubscribed', {
        contactIdentity: { email: 'SAM@example.com', userId: null },
      });
      expect((await postLoopsWebhook(app, payload)).status).toBe(204);
      expect(await emailStatusOf(sam.id)).toBe('unsubscribed');
    });

    it('refuses a webhook signed with another secret, and leaves the account alone', async () => {
      await boot();
      const jane = (await signUp(JANE)).body as { id: string; email: string };
      const forged = await postLoopsWebhook(app, buildLoopsWebhookPayload('email.hardBounced', about(jane)), {
        secret: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
      });
      expect(forged.status).toBe(401);
      expect(await emailStatusOf(jane.id)).toBe('subscribed');
    });

    it('acknowledges a contact that is not an account (from a Loops form, say)', async () => {
      await boot();
      const payload = buildLoopsWebhookPayload('email.hardBounced', {
        contactIdentity: { email: 'stranger@example.com', userId: null },
      });
      expect((await postLoopsWebhook(app, payload)).status).toBe(204);
      expect(logger.texts('log')).toContainEqual(expect.stringContaining('is not one of our accounts'));
    });

    it('sends no trial reminder to an address that bounced', async () => {
      await boot({ TRIAL_DAYS: '2' });
      const jane = (await signUp(JANE)).body as { id: string; email: string };
      await signUp(SAM);
      await postLoopsWebhook(app, buildLoopsWebhookPayload('email.hardBounced', about(jane)));

      expect((await http().post('/jobs/trial-reminders').expect(200)).body).toEqual({ sent: 1, failed: 0 });
      expect((await delivered('trialEnding')).map((event) => event.body.email)).toEqual([SAM.email]);
    });

    it('receives what the local Loops server signs and posts, as Loops would', async () => {
      await boot();
      await app.listen(0, '127.0.0.1');
      const jane = (await signUp(JANE)).body as { id: string; email: string };
      const sent = await server.webhooks.send(
        `${await app.getUrl()}/loops/webhooks`,
        buildLoopsWebhookPayload('email.hardBounced', about(jane)),
      );
      expect(sent.attempts.map((attempt) => attempt.status)).toEqual([204]);
      expect(await emailStatusOf(jane.id)).toBe('bounced');
    });

    it('mounts nothing without LOOPS_WEBHOOK_SECRET', async () => {
      await boot({ LOOPS_WEBHOOK_SECRET: undefined });
      await http().post('/loops/webhooks').send({}).expect(404);
    });
  });
});
