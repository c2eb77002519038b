import { Body, Controller, Post, ValidationPipe } from '@nestjs/common';
import request from 'supertest';
import { LoopsEventsService, SendEventDto } from '../lib';
import { createLoopsTestingApp, LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';

@Controller('events')
class EventsController {
  constructor(private readonly loops: LoopsEventsService) {}

  @Post()
  send(
    @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })) event: SendEventDto,
  ) {
    return this.loops.sendEvent(event);
  }
}

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp;

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  testing = await createLoopsTestingApp(server, {}, { controllers: [EventsController] });
});
afterEach(() => server.reset());
afterAll(async () => {
  await testing.app.close();
  await server.close();
});

describe('SendEventDto as a @Body() with ValidationPipe', () => {
  it('lets a valid body through to sendEvent', async () => {
    const body = { eventName: 'signup', email: 'ada@example.com', contactProperties: { plan: 'pro', company: null } };
    const response = await request(testing.app.getHttpServer()).post('/events').send(body).expect(201);
    expect(response.body).toMatchObject({ success: true, attempts: 1 });
    expect(server.accepted[0].body).toEqual({
      eventName: 'signup',
      email: 'ada@example.com',
      plan: 'pro',
      company: null,
    });
  });

  it.each([
    [{ email: 'ada@example.com' }, 'eventName is required'],
    [{ eventName: 'a:b', email: 'ada@example.com' }, 'eventName must not contain a colon'],
    [{ eventName: 'x' }, 'email or userId is required'],
    [{ eventName: 'x', email: 'nope' }, 'email must be a valid email address'],
    [{ eventName: 'x', userId: 'u', eventProperties: { a: { nested: true } } }, 'eventProperties.a must be a string'],
    [{ eventName: 'x', userId: 'u', contactProperties: { teamId: 1 } }, 'contactProperties.teamId is a reserved'],
    [{ eventName: 'x', userId: 'u', firstName: 'Ada' }, 'property firstName should not exist'],
  ])('answers 400 naming the field for %j, and sends nothing', async (body, message) => {
    const response = await request(testing.app.getHttpServer()).post('/events').send(body).expect(400);
    expect((response.body as { message: string[] }).message.join('\n')).toContain(message);
    expect(server.requests).toHaveLength(0);
  });

  it('a __proto__ key in JSON pollutes nothing and never reaches Loops (ValidationPipe strips it)', async () => {
    const raw = '{"eventName":"x","userId":"u","contactProperties":{"__proto__":{"admin":true},"plan":"pro"}}';
    await request(testing.app.getHttpServer())
      .post('/events')
      .set('Content-Type', 'application/json')
      .send(raw)
      .expect(201);
    expect(server.requests[0].rawBody).toBe('{"eventName":"x","plan":"pro","userId":"u"}');
    expect(({} as { admin?: boolean }).admin).toBeUndefined();
  });
});
