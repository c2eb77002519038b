import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoopsApiError, LoopsEventsService } from 'nestjs-loops';
import {
  buildLoopsWebhookPayload,
  LoopsTestingModule,
  LoopsTestRecorder,
  postLoopsWebhook,
} from 'nestjs-loops/testing';
import request from 'supertest';
import { AppModule, loopsModule } from '../src/app.module';
import { type EnvVars, withEnv } from '../src/demo/with-env';
import { WelcomeEmail } from '../src/transactional-emails';

/**
 * The same app as accounts.e2e-spec.ts, tested the way an app's own suite would: LoopsModule swapped for
 * LoopsTestingModule, no server and no API key; the recorder says what would have reached Loops.
 */
describe('sample app with LoopsTestingModule', () => {
  let app: INestApplication;
  let loops: LoopsTestRecorder;

  async function boot(env: EnvVars = {}, testing = LoopsTestingModule.forRoot()): Promise<void> {
    app = await withEnv(
      {
        LOOPS_API_KEY: undefined,
        LOOPS_BASE_URL: undefined,
        TRIAL_DAYS: undefined,
        LOOPS_WELCOME_EMAIL_ID: undefined,
        ...env,
      },
      async () => {
        const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
          .overrideModule(loopsModule)
          .useModule(testing)
          .compile();
        return moduleRef.createNestApplication({ logger: false, rawBody: true });
      },
    );
    await app.init();
    loops = app.get(LoopsTestRecorder);
  }
  afterEach(() => app.close());
  const http = () => request(app.getHttpServer());

  it('sign-up sends signup with the contact, without any LOOPS_API_KEY', async () => {
    await boot();
    const { body: account } = await http()
      .post('/accounts')
      .send({ email: 'jane@example.com', firstName: 'Jane', plan: 'pro' })
      .expect(201);
    const event = await loops.waitFor('signup');
    expect(event.body).toEqual({
      eventName: 'signup',
      firstName: 'Jane',
      plan: 'pro',
      eventProperties: { plan: 'pro', trialEndsAt: account.trialEndsAt },
      email: 'jane@example.com',
      userId: account.id,
    });
  });

  it('sign-up sends the welcome email, its data variables filled in', async () => {
    await boot();
    const { body: account } = await http()
      .post('/accounts')
      .send({ email: 'jane@example.com', firstName: 'Jane', plan: 'pro' })
      .expect(201);
    const email = await loops.waitForTransactional(WelcomeEmail.id);
    expect(email).toMatchObject({
      email: 'jane@example.com',
      idempotencyKey: `welcome-${account.id}`,
      body: {
        transactionalId: WelcomeEmail.id,
        email: 'jane@example.com',
        dataVariables: { firstName: 'Jane', plan: 'pro' },
      },
    });
  });

  it('a sign-up refused by validation sends nothing', async () => {
    await boot();
    await http().post('/accounts').send({ email: 'nope', firstName: 'X', plan: 'pro' }).expect(400);
    await app.get(LoopsEventsService).flush();
    expect(loops.calls).toHaveLength(0);
  });

  it('changing plan sends planChanged under a key naming the change', async () => {
    await boot();
    const { body: account } = await http()
      .post('/accounts')
      .send({ email: 'sam@example.com', firstName: 'Sam', plan: 'starter' })
      .expect(201);
    const { body: changed } = await http().patch(`/accounts/${account.id}/plan`).send({ plan: 'team' }).expect(200);
    const event = await loops.waitFor('planChanged');
    expect(event.idempotencyKey).toBe(`planChanged-${account.id}-${new Date(changed.updatedAt).getTime()}`);
    expect(event.body).toEqual({
      eventName: 'planChanged',
      plan: 'team',
      eventProperties: { plan: 'team' },
      email: 'sam@example.com',
    });
  });

  it('delete waits for Loops (await mode), and fails when Loops refuses the event', async () => {
    await boot();
    const signUp = (email: string) => http().post('/accounts').send({ email, firstName: 'A', plan: 'pro' }).expect(201);
    const { body: first } = await signUp('first@example.com');
    await http().delete(`/accounts/${first.id}`).expect(204);
    expect(loops.eventsNamed('accountDeleted').map((event) => event.body)).toEqual([
      { eventName: 'accountDeleted', email: 'first@example.com' },
    ]);

    const { body: second } = await signUp('second@example.com');
    // The welcome email goes first, so that the scripted refusal meets the event.
    await app.get(LoopsEventsService).flush();
    loops.failNext(1, { status: 400, body: { success: false, message: 'Contact not found' } });
    await http().delete(`/accounts/${second.id}`).expect(500);
    expect(loops.eventsNamed('accountDeleted')).toHaveLength(1);
  });

  it('the trial-reminder job reminds each due account once, and retries one Loops refused', async () => {
    await boot({ TRIAL_DAYS: '2' });
    await http().post('/accounts').send({ email: 'due@example.com', firstName: 'D', plan: 'pro' }).expect(201);
    await app.get(LoopsEventsService).flush();
    loops.failNext(1, new LoopsApiError({ status: 503 }));
    await http().post('/jobs/trial-reminders').expect(200, { sent: 0, failed: 1 });
    await http().post('/jobs/trial-reminders').expect(200, { sent: 1, failed: 0 });
    await http().post('/jobs/trial-reminders').expect(200, { sent: 0, failed: 0 });
    expect(loops.eventsNamed('trialEnding').map((event) => event.body.email)).toEqual(['due@example.com']);
  });

  it('a hard bounce posted to the webhook route marks the account, and the trial reminder skips it', async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    await boot({ TRIAL_DAYS: '2' }, LoopsTestingModule.forRoot({ webhooks: { secret } }));
    const { body: account } = await http()
      .post('/accounts')
      .send({ email: 'bounce@example.com', firstName: 'B', plan: 'pro' })
      .expect(201);
    const bounce = buildLoopsWebhookPayload('email.hardBounced', {
      contactIdentity: { email: account.email, userId: account.id },
    });
    expect((await postLoopsWebhook(app, bounce)).status).toBe(204);
    expect((await http().get(`/accounts/${account.id}`).expect(200)).body.emailStatus).toBe('bounced');
    await http().post('/jobs/trial-reminders').expect(200, { sent: 0, failed: 0 });
    expect(loops.eventsNamed('trialEnding')).toEqual([]);
  });
});
