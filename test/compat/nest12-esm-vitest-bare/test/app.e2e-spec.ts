import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoopsEventsService, LoopsValidationError } from 'nestjs-loops';
import request from 'supertest';
// The project's Loops-compatible server (test/support/loops-server), copied in by test/compat/compat.spec.ts.
import { LoopsCompatibleServer } from './loops-server/loops-compatible-server.js';
import { AppModule, UsersService } from '../src/app.module.js';

describe('nestjs-loops in a Nest 12 ESM app without @nestjs/axios (vitest)', () => {
  let loops: LoopsCompatibleServer;
  let app: INestApplication;

  beforeAll(async () => {
    loops = await LoopsCompatibleServer.start({ apiKey: 'compat-key', rateLimitPerSecond: 0 });
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

  it('is an app without @nestjs/axios, and installing nestjs-loops did not add one', () => {
    expect(existsSync(new URL('../node_modules/@nestjs/axios', import.meta.url))).toBe(false);
  });

  it('sends the event of a decorated route to Loops', async () => {
    const service = app.get(LoopsEventsService);
    expect(app.get(UsersService).loops).toBe(service);

    await request(app.getHttpServer()).post('/users').send({ email: 'not-an-email', plan: 'pro' }).expect(400);
    await request(app.getHttpServer()).post('/users').send({ email: 'ada@example.com', plan: 'pro' }).expect(201);
    await expect(service.flush(10_000)).resolves.toBe(true);

    expect(loops.accepted).toHaveLength(1);
    expect(loops.accepted[0].body).toEqual({
      eventName: 'userSignedUp',
      eventProperties: { plan: 'pro' },
      email: 'ada@example.com',
    });
    expect(loops.eventRequests()[0].headers.authorization).toBe('Bearer compat-key');

    // SendEventDto's rules run in the app's ValidationPipe: class-validator is a peer, one copy per app.
    const refused = await request(app.getHttpServer())
      .post('/events')
      .send({ eventName: 'a:b', email: 'ada@example.com' })
      .expect(400);
    expect(JSON.stringify(refused.body)).toContain('eventName must not contain a colon');
    expect(loops.accepted).toHaveLength(1);
    await expect(service.sendEvent({ eventName: '', email: 'ada@example.com' })).rejects.toBeInstanceOf(
      LoopsValidationError,
    );

    // SendTransactionalDto's rules too; a valid email goes through the same queue to POST /v1/transactional.
    const refusedEmail = await request(app.getHttpServer())
      .post('/emails')
      .send({ email: 'ada@example.com', dataVariables: { vip: true } })
      .expect(400);
    expect(JSON.stringify(refusedEmail.body)).toContain('transactionalId is required');
    await request(app.getHttpServer())
      .post('/emails')
      .send({ transactionalId: 'cwelcome', email: 'ada@example.com', dataVariables: { name: 'Ada' } })
      .expect(201);
    await expect(service.flush(10_000)).resolves.toBe(true);
    expect(loops.accepted.map((accepted) => accepted.path)).toEqual(['/api/v1/events/send', '/api/v1/transactional']);
  }, 30_000);
});
