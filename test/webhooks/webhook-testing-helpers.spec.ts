import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { buildLoopsWebhookPayload, LoopsTestingModule, postLoopsWebhook, signLoopsWebhook } from '../../lib/testing';
import { LoopsWebhookSender } from '../support/loops-server';
import { RecordingHandlers } from './support/recording-handlers';
import { newWebhookSecret } from './support/webhook-test-app';

describe('nestjs-loops/testing webhook helpers', () => {
  let app: INestApplication;
  const secret = newWebhookSecret();

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LoopsTestingModule.forRoot({ webhooks: { secret, path: '/hooks/loops' } })],
      providers: [RecordingHandlers],
    }).compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.init();
  });
  afterEach(() => app.close());

  it('LoopsTestingModule mounts the receiver; postLoopsWebhook finds its secret and path', async () => {
    const payload = buildLoopsWebhookPayload('contact.created', { contact: { firstName: 'Grace' } });
    const result = await postLoopsWebhook(app, payload);
    expect(result).toEqual({ status: 204, body: undefined, webhookId: expect.stringMatching(/^msg_[0-9a-f]{32}$/) });
    expect(app.get(RecordingHandlers).handled).toMatchObject([
      { handler: 'contactCreated', webhookId: result.webhookId, event: payload },
    ]);
  });

  it('postLoopsWebhook with another secret is refused like a forged request', async () => {
    const result = await postLoopsWebhook(app, buildLoopsWebhookPayload('contact.created'), {
      secret: newWebhookSecret(),
    });
    expect(result).toMatchObject({ status: 401, body: { message: 'Invalid webhook signature' } });
    expect(app.get(RecordingHandlers).handled).toEqual([]);
  });

  it('a payload built with a "__proto__" override posts that key, which the receiver refuses', async () => {
    const payload = buildLoopsWebhookPayload(
      'contact.created',
      JSON.parse('{"__proto__": {"isAdmin": true}}') as object,
    );
    const result = await postLoopsWebhook(app, payload);
    expect(result.status).toBe(400);
    expect(app.get(RecordingHandlers).handled).toEqual([]);
  });

  it('signLoopsWebhook feeds supertest', async () => {
    const signed = signLoopsWebhook(buildLoopsWebhookPayload('email.hardBounced'), { secret, webhookId: 'msg_st' });
    await request(app.getHttpServer()).post('/hooks/loops').set(signed.headers).send(signed.body).expect(204);
    expect(app.get(RecordingHandlers).handled.map((entry) => entry.webhookId)).toEqual(['msg_st', 'msg_st']);
  });

  it('postLoopsWebhook on an app without webhooks says what is missing', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [LoopsTestingModule.forRoot()] }).compile();
    const bare = moduleRef.createNestApplication({ logger: false });
    await bare.init();
    await expect(postLoopsWebhook(bare, { eventName: 'x' })).rejects.toThrow('the app has no webhooks option');
    await bare.close();
  });
});

describe('buildLoopsWebhookPayload', () => {
  it('merges overrides at any depth and replaces arrays whole', () => {
    const payload = buildLoopsWebhookPayload('campaign.email.sent', {
      contactIdentity: { email: 'grace@example.com' },
      mailingLists: [],
      eventTime: 1_700_000_000,
    });
    expect(payload.contactIdentity).toEqual({ id: expect.any(String), email: 'grace@example.com', userId: null });
    expect(payload.mailingLists).toEqual([]);
    expect(payload.eventTime).toBe(1_700_000_000);
    expect(payload.webhookSchemaVersion).toBe('1.0.0');
  });

  it('gives a fresh copy each time', () => {
    const first = buildLoopsWebhookPayload('email.opened');
    first.email.subject = 'changed';
    expect(buildLoopsWebhookPayload('email.opened').email.subject).not.toBe('changed');
  });

  describe('an override parsed from JSON with a "__proto__" key', () => {
    const MARK = 'pollutedByBuildLoopsWebhookPayload';
    // The helper's objects come from structuredClone, which in jest is the realm outside the test's own.
    const prototypes = (): Record<string, unknown>[] => [
      Object.prototype as Record<string, unknown>,
      Object.getPrototypeOf(structuredClone({})) as Record<string, unknown>,
    ];
    afterEach(() => {
      for (const prototype of prototypes()) delete prototype[MARK];
    });

    it.each([
      ['at the top', `{"__proto__": {"${MARK}": true}}`],
      ['one level down', `{"contactIdentity": {"__proto__": {"${MARK}": true}}}`],
    ])('%s: kept in the payload as its own key, Object.prototype untouched', (_where, json) => {
      const payload = buildLoopsWebhookPayload('contact.created', JSON.parse(json) as object);
      expect(prototypes().map((prototype) => prototype[MARK])).toEqual([undefined, undefined]);
      expect(JSON.stringify(payload)).toContain(`"__proto__":{"${MARK}":true}`);
    });
  });

  it('refuses an event type it does not know', () => {
    expect(() => buildLoopsWebhookPayload('email.teleported' as 'email.opened')).toThrow('not a Loops webhook event');
  });
});

describe('LoopsWebhookSender (the Loops-compatible server side)', () => {
  let receiver: Server;
  let url: string;
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let answers: number[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(answers.shift() ?? 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(() => new Promise((resolve) => receiver.close(resolve)));
  beforeEach(() => {
    received.length = 0;
    answers = [];
  });

  const verify = (secret: string, { headers, body }: { headers: IncomingHttpHeaders; body: string }) =>
    new Webhook(secret).verify(body, headers as Record<string, string>);

  it('signs what standardwebhooks verifies, with one signature per secret during a rotation', async () => {
    const sender = new LoopsWebhookSender();
    const next = newWebhookSecret();
    const payload = buildLoopsWebhookPayload('email.delivered');
    await sender.send(url, payload, { extraSecrets: [next] });
    expect(received).toHaveLength(1);
    expect(String(received[0].headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(sender.secret, received[0])).toEqual(payload);
    expect(verify(next, received[0])).toEqual(payload);
    expect(() => verify(newWebhookSecret(), received[0])).toThrow('No matching signature');
  });

  it('tries again on anything but 2xx, with the same id, until it is acknowledged', async () => {
    answers = [500, 409, 200];
    const sender = new LoopsWebhookSender();
    const sent = await sender.send(url, buildLoopsWebhookPayload('email.clicked'), { attempts: 5 });
    expect(sent.attempts.map((attempt) => attempt.status)).toEqual([500, 409, 200]);
    expect(sent.delivered).toBe(true);
    expect(new Set(received.map(({ headers }) => headers['webhook-id']))).toEqual(new Set([sent.webhookId]));
    for (const request of received) expect(() => verify(sender.secret, request)).not.toThrow();
  });

  it('gives up after the attempts it was given', async () => {
    answers = [503, 503];
    const sent = await new LoopsWebhookSender().send(url, buildLoopsWebhookPayload('email.clicked'), { attempts: 2 });
    expect(sent).toMatchObject({ delivered: false, attempts: [{ status: 503 }, { status: 503 }] });
  });
});
