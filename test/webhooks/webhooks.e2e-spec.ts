import {
  type CanActivate,
  Controller,
  Get,
  INestApplication,
  Injectable,
  Module,
  Scope,
  type Type,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { connect } from 'node:net';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { LoopsConfigurationError, OnLoopsWebhook } from '../../lib';
import { buildLoopsWebhookPayload, postLoopsWebhook, signLoopsWebhook } from '../../lib/testing';
import { request as httpRequest } from 'node:http';
import { MISSING_RAW_BODY_MESSAGE } from '../../lib/webhooks/loops-webhook-receiver';
import { CapturingLogger } from '../support/capturing-logger';
import { LoopsWebhookSender } from '../support/loops-server';
import { gate, openAllGates } from './support/gate';
import { AuditTrail, type HandledWebhook, RecordingHandlers } from './support/recording-handlers';
import {
  createWebhookTestApp,
  newWebhookSecret,
  PLATFORMS,
  type WebhookTestAppOptions,
} from './support/webhook-test-app';

const PATH = '/loops/webhooks';

describe.each(PLATFORMS)('Loops webhooks on %s', (platform) => {
  let app: INestApplication;
  let logger: CapturingLogger;
  let secret: string;
  let handlers: RecordingHandlers;
  let audit: AuditTrail | undefined;

  async function boot(options: Partial<WebhookTestAppOptions> = {}): Promise<void> {
    ({ app, logger, secret } = await createWebhookTestApp({
      platform,
      providers: [RecordingHandlers, AuditTrail],
      ...options,
    }));
    handlers = app.get(RecordingHandlers);
    audit = options.providers && !options.providers.includes(AuditTrail) ? undefined : app.get(AuditTrail);
  }
  afterEach(async () => {
    openAllGates();
    await app?.close();
  });

  const http = () => request(app.getHttpServer());
  const hardBounced = () => buildLoopsWebhookPayload('email.hardBounced');
  /** What every handler of the app ran, in order. */
  const everythingRun = () => [...handlers.names(), ...(audit?.seen ?? []).map((name) => `all ${name}`)];

  describe('routing', () => {
    beforeEach(() => boot());

    it('hands the typed payload and its context to every handler of the type and to "*", then answers 204', async () => {
      const payload = hardBounced();
      const sentAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 30_000);
      const result = await postLoopsWebhook(app, payload, { webhookId: 'msg_bounce_1', timestamp: sentAt });

      expect(result.status).toBe(204);
      expect(handlers.names().sort()).toEqual(['hardBounced email.hardBounced', 'stopEmailing email.hardBounced']);
      expect(audit?.seen).toEqual(['email.hardBounced']);
      for (const entry of handlers.handled) {
        expect(entry.event).toEqual(payload);
        expect(entry.context).toEqual({ webhookId: 'msg_bounce_1', sentAt });
      }
    });

    it('verifies the bytes as sent: a body formatted unlike JSON.stringify, with \\u escapes, is accepted', async () => {
      const body =
        '{\n  "eventName" : "email.hardBounced",\n  "eventTime": 1734425918,\n  "webhookSchemaVersion": "1.0.0",\n  "sourceType": "campaign",\n  "email": {"id": "e1", "emailMessageId": "m1", "subject": "Caf\\u00e9"},\n  "contactIdentity": {"id": "c1", "email": "ada@example.com", "userId": null}\n}';
      const signed = signLoopsWebhook(body, { secret });
      await http().post(PATH).set(signed.headers).send(body).expect(204);
      expect(handlers.handled.map((entry) => (entry.event as { email: { subject: string } }).email.subject)).toEqual([
        'Café',
        'Café',
      ]);
    });

    it('runs a handler of several types for each of them, and nothing of other types', async () => {
      await postLoopsWebhook(app, buildLoopsWebhookPayload('contact.unsubscribed'));
      await postLoopsWebhook(app, buildLoopsWebhookPayload('contact.created'));
      expect(handlers.names()).toEqual(['stopEmailing contact.unsubscribed', 'contactCreated contact.created']);
    });

    it('gives an event type it does not know to "*" handlers only, and acknowledges it', async () => {
      const future = { eventName: 'contact.teleported', eventTime: 1, webhookSchemaVersion: '1.1.0', planet: 'Mars' };
      expect((await postLoopsWebhook(app, future)).status).toBe(204);
      expect(audit?.seen).toEqual(['contact.teleported']);
      expect(handlers.handled).toEqual([]);
    });

    it('acknowledges the test event from Loops settings even with no handler for it', async () => {
      expect((await postLoopsWebhook(app, buildLoopsWebhookPayload('testing.testEvent'))).status).toBe(204);
      expect(audit?.seen).toEqual(['testing.testEvent']);
    });
  });

  it('acknowledges a type nobody handles with 204 and a debug line', async () => {
    await boot({ providers: [RecordingHandlers] });
    const result = await postLoopsWebhook(app, { eventName: 'email.teleported', eventTime: 1 }, { webhookId: 'msg_x' });
    expect(result.status).toBe(204);
    expect(logger.texts('debug')).toContainEqual(
      expect.stringContaining('Loops webhook "email.teleported" (msg_x) has no handler; acknowledged'),
    );
  });

  describe('delivery semantics', () => {
    beforeEach(() => boot());

    it('answers 500 when a handler fails; the redelivery runs only that handler, the next one nothing', async () => {
      handlers.failNext('stopEmailing');
      const payload = hardBounced();
      const first = await postLoopsWebhook(app, payload, { webhookId: 'msg_retry' });
      expect(first.status).toBe(500);
      expect(handlers.names()).toEqual(['hardBounced email.hardBounced']);
      expect(logger.texts('error')).toContainEqual(
        expect.stringContaining(
          'Loops webhook "email.hardBounced" (msg_retry), handler RecordingHandlers.stopEmailing failed: stopEmailing failed on purpose for a***@example.com; answered 500',
        ),
      );

      expect((await postLoopsWebhook(app, payload, { webhookId: 'msg_retry' })).status).toBe(204);
      expect(handlers.names()).toEqual(['hardBounced email.hardBounced', 'stopEmailing email.hardBounced']);
      expect(audit?.seen).toEqual(['email.hardBounced']);

      expect((await postLoopsWebhook(app, payload, { webhookId: 'msg_retry' })).status).toBe(204);
      expect(everythingRun()).toHaveLength(3);
    });

    it('is delivered by the Loops-compatible server, which retries with the same id until it gets 2xx', async () => {
      await app.listen(0, '127.0.0.1');
      const loops = new LoopsWebhookSender(secret);
      handlers.failNext('hardBounced', 2);
      const sent = await loops.send(`${await app.getUrl()}${PATH}`, hardBounced(), { attempts: 5 });
      expect(sent.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 204]);
      expect(sent.delivered).toBe(true);
      // stopEmailing succeeded on the first attempt and was not run again.
      expect(handlers.names()).toEqual(['stopEmailing email.hardBounced', 'hardBounced email.hardBounced']);
      expect(audit?.seen).toEqual(['email.hardBounced']);
    });

    it('runs the handlers of different messages concurrently', async () => {
      let entered = 0;
      const allEntered = gate();
      handlers.during(async () => {
        if (++entered === 4) allEntered.open();
        // Each handler waits until the handlers of both messages are running: run one after the other, they
        // would never get there and the requests would time out.
        await allEntered.wait;
      });
      const results = await Promise.all([
        postLoopsWebhook(app, hardBounced(), { webhookId: 'msg_a' }),
        postLoopsWebhook(app, hardBounced(), { webhookId: 'msg_b' }),
      ]);
      expect(results.map((result) => result.status)).toEqual([204, 204]);
      expect(handlers.handled.map((entry) => entry.webhookId).sort()).toEqual(['msg_a', 'msg_a', 'msg_b', 'msg_b']);
    });

    it('answers 409 to a delivery of a message whose handler is still running, which then runs once', async () => {
      const running = gate();
      const finished = gate();
      handlers.during(async (entry: HandledWebhook) => {
        if (entry.handler !== 'contactCreated') return;
        running.open();
        await finished.wait;
      });
      const payload = buildLoopsWebhookPayload('contact.created');
      const first = postLoopsWebhook(app, payload, { webhookId: 'msg_slow' });
      await running.wait;
      const second = await postLoopsWebhook(app, payload, { webhookId: 'msg_slow' });
      expect(second.status).toBe(409);
      finished.open();
      expect((await first).status).toBe(204);
      expect(handlers.names()).toEqual(['contactCreated contact.created']);
      // The "*" handler took its own claim and ran once, on the first delivery.
      expect(audit?.seen).toEqual(['contact.created']);
    });

    it('handles 60 messages sent at once, each handler once per message', async () => {
      const ids = Array.from({ length: 60 }, (_, index) => `msg_burst_${index}`);
      const results = await Promise.all(ids.map((webhookId) => postLoopsWebhook(app, hardBounced(), { webhookId })));
      expect(results.every((result) => result.status === 204)).toBe(true);
      for (const handler of ['hardBounced', 'stopEmailing']) {
        const seen = handlers.handled.filter((entry) => entry.handler === handler).map((entry) => entry.webhookId);
        expect(seen.sort()).toEqual([...ids].sort());
      }
      expect(audit?.seen).toHaveLength(60);
    });
  });

  describe('security: each refused request runs no handler', () => {
    beforeEach(() => boot());

    type Tamper = (signed: ReturnType<typeof signLoopsWebhook>) => { headers: Record<string, string>; body: string };
    const drop =
      (header: string): Tamper =>
      ({ headers, body }) => {
        const rest: Record<string, string> = { ...headers };
        delete rest[header];
        return { headers: rest, body };
      };

    const cases: Array<{
      name: string;
      status: number;
      /** The reason in the warning, where the receiver itself refused. */
      reason?: string | RegExp;
      /** `minutesAgo`: when the request claims it was sent (negative: ahead of this server's clock). */
      sign?: { secret?: 'other'; minutesAgo?: number };
      body?: string;
      tamper?: Tamper;
    }> = [
      {
        name: 'a forged signature',
        status: 401,
        reason: 'no signature matches the secret',
        tamper: ({ headers, body }) => ({
          headers: { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` },
          body,
        }),
      },
      {
        name: 'a signature made with another secret',
        status: 401,
        reason: 'no signature matches the secret',
        sign: { secret: 'other' },
      },
      {
        name: 'the signature of another body',
        status: 401,
        reason: 'no signature matches the secret',
        tamper: ({ headers, body }) => ({ headers, body: body.replace('ada@example.com', 'eve@example.com') }),
      },
      {
        name: 'a replay 6 minutes old',
        status: 401,
        reason: /the webhook-timestamp is 36[01] s in the past/,
        sign: { minutesAgo: 6 },
      },
      {
        name: 'a timestamp 6 minutes ahead',
        status: 401,
        reason: /the webhook-timestamp is (359|360) s in the future/,
        sign: { minutesAgo: -6 },
      },
      { name: 'no webhook-id', status: 401, reason: 'the webhook-id header is missing', tamper: drop('webhook-id') },
      {
        name: 'no webhook-timestamp',
        status: 401,
        reason: 'the webhook-timestamp header is missing',
        tamper: drop('webhook-timestamp'),
      },
      {
        name: 'no webhook-signature',
        status: 401,
        reason: 'the webhook-signature header is missing',
        tamper: drop('webhook-signature'),
      },
      {
        name: 'a timestamp in milliseconds',
        status: 401,
        reason: 'the webhook-timestamp is',
        tamper: ({ headers, body }) => ({ headers: { ...headers, 'webhook-timestamp': String(Date.now()) }, body }),
      },
      {
        name: 'a signature of another scheme version only',
        status: 401,
        reason: 'the webhook-signature header has no v1 signature',
        tamper: ({ headers, body }) => ({
          headers: { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') },
          body,
        }),
      },
      { name: 'a 5 MiB body', status: 413, body: JSON.stringify({ eventName: 'x', pad: 'x'.repeat(5 * 1024 * 1024) }) },
      // The platform's JSON parser refuses it before the receiver sees it, signed or not.
      { name: 'a body that is not JSON', status: 400, body: '{"eventName": "email.hardBounced",' },
      {
        name: 'a signed body that is not application/json',
        status: 415,
        reason: 'the body is not application/json',
        tamper: ({ headers, body }) => ({ headers: { ...headers, 'content-type': 'text/plain' }, body }),
      },
      {
        name: 'a signed JSON array',
        status: 400,
        reason: 'the body is not a JSON object',
        body: '[{"eventName":"email.hardBounced"}]',
      },
      {
        name: 'a signed body with "__proto__"',
        status: 400,
        body: '{"eventName":"email.hardBounced","contactIdentity":{"__proto__":{"isAdmin":true}}}',
      },
      {
        name: 'a signed body with constructor.prototype',
        status: 400,
        body: '{"eventName":"email.hardBounced","constructor":{"prototype":{"isAdmin":true}}}',
      },
    ];

    it.each(cases)('$name -> $status', async ({ status, reason, sign, body, tamper }) => {
      const signed = signLoopsWebhook(body ?? JSON.stringify(hardBounced()), {
        secret: sign?.secret === 'other' ? newWebhookSecret() : secret,
        timestamp: new Date(Date.now() - (sign?.minutesAgo ?? 0) * 60_000),
      });
      const sent = tamper ? tamper(signed) : signed;
      const response = await http().post(PATH).set(sent.headers).send(sent.body);

      expect(response.status).toBe(status);
      expect(everythingRun()).toEqual([]);
      if (reason) {
        const [warning, ...others] = logger.texts('warn');
        expect(others).toEqual([]);
        expect(warning).toContain(`Loops webhook refused (${status}): `);
        expect(warning).toMatch(reason);
      }
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      const log = logger.texts().join('\n');
      expect(log).not.toContain(secret.slice('whsec_'.length));
    });

    it('a signed top-level "__proto__" pollutes nothing (Express: the receiver refuses it, Fastify: its parser)', async () => {
      const body = '{"eventName":"email.hardBounced","__proto__":{"isAdmin":true}}';
      const response = await http().post(PATH).set(signLoopsWebhook(body, { secret }).headers).send(body);
      expect(response.status).toBe(400);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      if (platform === 'express') {
        expect(logger.texts('warn')).toEqual([
          expect.stringContaining('the body has a "__proto__" key that could reach Object.prototype'),
        ]);
      }
    });

    it('accepts either of two signatures during a secret rotation, and refuses when neither matches', async () => {
      const rotated = signLoopsWebhook(hardBounced(), { secret: newWebhookSecret() });
      const current = signLoopsWebhook(rotated.body, { secret, webhookId: rotated.webhookId });
      const both = `${rotated.headers['webhook-signature']} ${current.headers['webhook-signature']}`;
      await http()
        .post(PATH)
        .set({ ...current.headers, 'webhook-signature': both })
        .send(current.body)
        .expect(204);
      expect(handlers.handled).toHaveLength(2);

      const other = signLoopsWebhook(rotated.body, { secret: newWebhookSecret(), webhookId: rotated.webhookId });
      const neither = `${rotated.headers['webhook-signature']} ${other.headers['webhook-signature']}`;
      await http()
        .post(PATH)
        .set({ ...current.headers, 'webhook-id': 'msg_other', 'webhook-signature': neither })
        .send(current.body)
        .expect(401);
      expect(handlers.handled).toHaveLength(2);
    });

    /** Sends `head` and `body` as they are, on a raw socket, and returns the raw answer. */
    async function rawRequest(head: string, body: string): Promise<string> {
      await new Promise<void>((resolve) => {
        const server = app.getHttpServer();
        if (server.address()) resolve();
        else server.listen(0, '127.0.0.1', () => resolve());
      });
      const { port } = app.getHttpServer().address() as { port: number };
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end(`${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        });
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    }

    it.each([
      ['a second webhook-id line, injected with a line break', 'msg_1', 'webhook-id: msg_2\r\n', 'msg_1, msg_2'],
      ['a tab and an injected header name inside webhook-id', 'msg_1\tX-Injected: yes', '', 'msg_1\tX-Injected: yes'],
      ['a 300-character webhook-id', 'm'.repeat(300), '', 'm'.repeat(300)],
    ])('a header-injection attempt in webhook-id (%s) -> 401', async (_name, sentId, extra, receivedId) => {
      // Signed for the id as the server reads it, so that only the id rule can refuse it.
      const signed = signLoopsWebhook(hardBounced(), { secret, webhookId: receivedId });
      const head =
        `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `webhook-id: ${sentId}\r\n${extra}webhook-timestamp: ${signed.headers['webhook-timestamp']}\r\n` +
        `webhook-signature: ${signed.headers['webhook-signature']}\r\n`;
      const answer = await rawRequest(head, signed.body);

      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).not.toContain('injected');
      expect(answer).not.toContain('msg_2');
      expect(everythingRun()).toEqual([]);
      expect(logger.texts('warn')).toEqual([
        expect.stringContaining(
          'Loops webhook refused (401): the webhook-id header is not 1 to 256 printable ASCII characters',
        ),
      ]);
      expect(logger.texts().join('\n')).not.toMatch(/X-Injected|\t/);
    });
  });

  describe('signatures made by the standardwebhooks package', () => {
    it('accepts a request it signed, the secret configured without its whsec_ prefix', async () => {
      const full = newWebhookSecret();
      await boot({ webhooks: { secret: full.slice('whsec_'.length) } });
      const body = JSON.stringify(hardBounced());
      const signature = new Webhook(full).sign('msg_std', new Date(), body);
      await http()
        .post(PATH)
        .set({
          'content-type': 'application/json',
          'webhook-id': 'msg_std',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': signature,
        })
        .send(body)
        .expect(204);
      expect(handlers.handled).toHaveLength(2);
    });

    it('verifies what signLoopsWebhook signs', async () => {
      await boot();
      const signed = signLoopsWebhook(hardBounced(), { secret });
      expect(new Webhook(secret).verify(signed.body, signed.headers)).toEqual(JSON.parse(signed.body));
    });
  });

  describe('set-up', () => {
    it('without rawBody: true, answers 500 and logs the one line to change; no handler runs', async () => {
      await boot({ rawBody: false });
      const result = await postLoopsWebhook(app, hardBounced());
      expect(result.status).toBe(500);
      expect(everythingRun()).toEqual([]);
      expect(logger.texts('error')).toEqual([expect.stringContaining(MISSING_RAW_BODY_MESSAGE)]);
      expect(MISSING_RAW_BODY_MESSAGE).toContain('NestFactory.create(AppModule, { rawBody: true })');
    });

    it('forRootAsync: mounts the route at the path the factory returned, and nothing at the default one', async () => {
      await boot({ async: true, webhooks: { path: '/hooks/loops' } });
      expect((await postLoopsWebhook(app, hardBounced())).status).toBe(204);
      expect(handlers.handled).toHaveLength(2);
      expect((await postLoopsWebhook(app, hardBounced(), { path: PATH })).status).toBe(404);
    });

    it('without webhooks: nothing is mounted and no handler is looked for', async () => {
      await boot({ webhooks: false });
      const signed = signLoopsWebhook(hardBounced(), { secret: newWebhookSecret() });
      await http().post(PATH).set(signed.headers).send(signed.body).expect(404);
      expect(logger.texts().join('\n')).not.toContain('Receiving Loops webhooks');
      expect(everythingRun()).toEqual([]);
    });

    it('accepts any of several configured secrets', async () => {
      const next = newWebhookSecret();
      await boot({ webhooks: { secret: [newWebhookSecret(), next.slice('whsec_'.length)] } });
      expect((await postLoopsWebhook(app, hardBounced(), { secret: next })).status).toBe(204);
    });

    it('mounts the route from the root, outside a global prefix and the global guards', async () => {
      @Injectable()
      class RefuseEverything implements CanActivate {
        canActivate(): boolean {
          return false;
        }
      }
      @Controller('status')
      class StatusController {
        @Get()
        status(): string {
          return 'ok';
        }
      }
      @Module({ controllers: [StatusController] })
      class StatusModule {}
      await boot({
        globalPrefix: 'api',
        imports: [StatusModule],
        providers: [RecordingHandlers, AuditTrail, { provide: APP_GUARD, useClass: RefuseEverything }],
      });
      // The guard and the prefix do apply to the app's own routes.
      await http().get('/api/status').expect(403);
      expect((await postLoopsWebhook(app, hardBounced())).status).toBe(204);
      expect(handlers.handled).toHaveLength(2);
      expect((await postLoopsWebhook(app, hardBounced(), { path: `/api${PATH}` })).status).toBe(404);
    });

    // A transient provider's instance seen at start-up is a bare prototype whose constructor never ran: calling a
    // handler on it failed every delivery with a 500.
    it.each([
      ['request', Scope.REQUEST],
      ['transient', Scope.TRANSIENT],
    ])('warns of a handler on a %s-scoped provider, which never runs', async (_name, scope) => {
      @Injectable({ scope })
      class ScopedBounces {
        static runs = 0;
        @OnLoopsWebhook('email.hardBounced')
        hardBounced(): void {
          ScopedBounces.runs++;
        }
      }
      await boot({ providers: [RecordingHandlers, AuditTrail, ScopedBounces] });
      expect(logger.texts('warn')).toContainEqual(
        expect.stringContaining('ScopedBounces.hardBounced is not a singleton provider'),
      );
      expect((await postLoopsWebhook(app, hardBounced())).status).toBe(204);
      expect(handlers.handled).toHaveLength(2);
      expect(ScopedBounces.runs).toBe(0);
    });

    it('warns of a handler for a type Loops does not send, a misspelling most likely, but not of "*"', async () => {
      @Injectable()
      class Misspelt {
        @OnLoopsWebhook('email.hardBounce')
        hardBounce(): void {}
      }
      await boot({ providers: [RecordingHandlers, AuditTrail, Misspelt] });
      expect(logger.texts('warn')).toEqual([
        expect.stringContaining(
          'Misspelt.hardBounce handles "email.hardBounce", which is not a Loops event type this version knows',
        ),
      ]);
    });

    it('refuses to start when two handler classes share a name, but runs a class provided twice once', async () => {
      const bouncesClass = (): Type => {
        @Injectable()
        class Bounces {
          @OnLoopsWebhook('email.hardBounced')
          hardBounced(): void {}
        }
        return Bounces;
      };
      const refusal = await boot({ providers: [bouncesClass(), bouncesClass()] }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(LoopsConfigurationError);
      expect((refusal as LoopsConfigurationError).message).toContain('two classes named Bounces');

      @Module({ providers: [RecordingHandlers] })
      class AlsoHandlers {}
      await boot({ imports: [AlsoHandlers] });
      const instances = app.get(RecordingHandlers, { strict: false, each: true });
      expect(instances).toHaveLength(2);
      expect((await postLoopsWebhook(app, hardBounced())).status).toBe(204);
      const runs = instances.flatMap((instance) => instance.names()).filter((name) => name.startsWith('hardBounced '));
      expect(runs).toEqual(['hardBounced email.hardBounced']);
    });

    it('applies toleranceSeconds: 90 s old is refused under 60 and accepted under 120, either way of the clock', async () => {
      const sentAgo = (seconds: number) => ({ timestamp: new Date(Date.now() - seconds * 1000) });
      await boot({ webhooks: { toleranceSeconds: 60 } });
      expect((await postLoopsWebhook(app, hardBounced(), sentAgo(90))).status).toBe(401);
      expect((await postLoopsWebhook(app, hardBounced(), sentAgo(-90))).status).toBe(401);
      expect(logger.texts('warn')).toEqual([
        expect.stringContaining('toleranceSeconds (60)'),
        expect.stringContaining('toleranceSeconds (60)'),
      ]);
      expect((await postLoopsWebhook(app, hardBounced(), sentAgo(30))).status).toBe(204);
      expect(handlers.handled).toHaveLength(2);
      await app.close();

      await boot({ webhooks: { toleranceSeconds: 120 } });
      expect((await postLoopsWebhook(app, hardBounced(), sentAgo(90))).status).toBe(204);
      expect((await postLoopsWebhook(app, hardBounced(), sentAgo(-90))).status).toBe(204);
      expect(handlers.handled).toHaveLength(4);
    });

    it('takes a body of exactly maxBodyBytes, and refuses one byte more', async () => {
      const body = JSON.stringify(hardBounced());
      await boot({ webhooks: { maxBodyBytes: Buffer.byteLength(body) } });
      const exact = signLoopsWebhook(body, { secret });
      await http().post(PATH).set(exact.headers).send(body).expect(204);
      const over = signLoopsWebhook(`${body} `, { secret });
      await http().post(PATH).set(over.headers).send(`${body} `).expect(413);
      expect(handlers.handled).toHaveLength(2);
    });

    it('reads the media type in any case, as HTTP has it', async () => {
      await boot();
      const body = JSON.stringify(hardBounced());
      const signed = signLoopsWebhook(body, { secret });
      await http()
        .post(PATH)
        .set({ ...signed.headers, 'content-type': 'Application/JSON; charset=utf-8' })
        .send(body)
        .expect(204);
      expect(handlers.handled).toHaveLength(2);
    });

    it('refuses bodies over maxBodyBytes with 413 before verifying them', async () => {
      await boot({ webhooks: { maxBodyBytes: 1024 } });
      await app.listen(0, '127.0.0.1');
      const small = await postLoopsWebhook(app, hardBounced());
      expect(small.status).toBe(204);
      const large = await postLoopsWebhook(
        app,
        buildLoopsWebhookPayload('email.hardBounced', {
          email: { subject: 's'.repeat(2000) },
        }),
      );
      expect(large.status).toBe(413);
      // Sent in chunks, the body declares no length: it is measured as it arrives.
      const chunked = signLoopsWebhook(
        buildLoopsWebhookPayload('email.hardBounced', { email: { subject: 's'.repeat(2000) } }),
        { secret },
      );
      const url = `${await app.getUrl()}${PATH}`;
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const sending = httpRequest(
          url,
          { method: 'POST', headers: { ...chunked.headers, 'transfer-encoding': 'chunked' } },
          (response) => {
            response.resume();
            resolve(response.statusCode);
          },
        );
        sending.on('error', reject);
        sending.write(chunked.body.slice(0, 1000));
        sending.end(chunked.body.slice(1000));
      });
      expect(status).toBe(413);
      expect(handlers.handled).toHaveLength(2);
    });
  });
});
