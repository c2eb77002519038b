import { INestApplication, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { LoopsEventsService, LoopsValidationError } from 'nestjs-loops';
import request from 'supertest';
import { AppModule, UsersService } from '../src/app.module';

interface ReceivedEvent {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A minimal stand-in for Loops: records `POST /api/v1/events/send` bodies and answers `{ success: true }`. */
async function startLoopsStub(): Promise<{ baseUrl: string; received: ReceivedEvent[]; close(): Promise<void> }> {
  const received: ReceivedEvent[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const ok = req.method === 'POST' && req.url === '/api/v1/events/send';
      if (ok) received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { success: true } : { success: false, message: 'Not found' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('nestjs-loops in a Nest 11 CommonJS app (jest + ts-jest)', () => {
  let loops: Awaited<ReturnType<typeof startLoopsStub>>;
  let app: INestApplication;

  beforeAll(async () => {
    loops = await startLoopsStub();
    process.env.LOOPS_API_KEY = 'compat-key';
    process.env.LOOPS_BASE_URL = loops.baseUrl;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    app.useGlobalPipes(new ValidationPipe({ whitelist: true }));
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await loops?.close();
  });

  it('sends the event of a decorated route to Loops', async () => {
    const service = app.get(LoopsEventsService);
    expect(app.get(UsersService).loops).toBe(service);

    await request(app.getHttpServer()).post('/users').send({ email: 'not-an-email', plan: 'pro' }).expect(400);
    await request(app.getHttpServer()).post('/users').send({ email: 'ada@example.com', plan: 'pro' }).expect(201);
    await expect(service.flush(10_000)).resolves.toBe(true);

    expect(loops.received).toHaveLength(1);
    expect(loops.received[0].body).toEqual({
      eventName: 'userSignedUp',
      eventProperties: { plan: 'pro' },
      email: 'ada@example.com',
    });
    expect(loops.received[0].headers.authorization).toBe('Bearer compat-key');

    // SendEventDto's rules run in the app's ValidationPipe: class-validator is a peer, one copy per app.
    const refused = await request(app.getHttpServer())
      .post('/events')
      .send({ eventName: 'a:b', email: 'ada@example.com' })
      .expect(400);
    expect(JSON.stringify(refused.body)).toContain('eventName must not contain a colon');
    expect(loops.received).toHaveLength(1);
    await expect(service.sendEvent({ eventName: '', email: 'ada@example.com' })).rejects.toBeInstanceOf(
      LoopsValidationError,
    );
  }, 30_000);
});
