import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  type LoopsDeliveryOutcome,
  LoopsEventsService,
  LoopsValidationError,
  type SendEventInput,
  type LoopsDroppedOutcome,
} from '../lib';
import { BAD_INPUTS, createBadInputController, MAPPABLE_BAD_INPUTS, expectedRouteIssue } from './support/bad-inputs';
import { CapturingLogger } from './support/capturing-logger';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp } from './support/loops-testing-app';

let server: LoopsCompatibleServer;
let app: INestApplication;
let loops: LoopsEventsService;
let logger: CapturingLogger;
const outcomes: LoopsDeliveryOutcome[] = [];

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  ({ app, loops, logger } = await createLoopsTestingApp(
    server,
    { retry: false },
    { controllers: [createBadInputController()] },
  ));
  loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
});
afterEach(() => {
  // Whatever the test, not one request may have reached the server.
  expect(server.requests).toHaveLength(0);
  outcomes.length = 0;
  logger.lines.length = 0;
});
afterAll(async () => {
  await app.close();
  await server.close();
});

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectNamesTheField(error: unknown, expected: { path: string; rule?: string }): void {
  expect(error).toBeInstanceOf(LoopsValidationError);
  const { errors, message } = error as LoopsValidationError;
  const issue = errors.find((candidate) => candidate.path === expected.path);
  expect(issue).toBeDefined();
  if (expected.rule) expect(issue?.rule).toBe(expected.rule);
  expect(message).toContain(issue?.message);
}

const table = BAD_INPUTS.map((input) => [input.name, input] as const);

describe('sendEvent', () => {
  it.each(table)('%s: LoopsValidationError naming the field, no request', async (_name, input) => {
    const error = await loops
      .sendEvent(input.event as SendEventInput, { idempotencyKey: input.idempotencyKey as string | undefined })
      .then(
        () => new Error('resolved'),
        (thrown: unknown) => thrown,
      );
    expectNamesTheField(error, input);
  });
});

describe('enqueueEvent', () => {
  it.each(table)('%s: throws LoopsValidationError naming the field, queues nothing', (_name, input) => {
    const error = thrownBy(() =>
      loops.enqueueEvent(input.event as SendEventInput, {
        idempotencyKey: input.idempotencyKey as string | undefined,
      }),
    );
    expectNamesTheField(error, input);
    expect(loops.pendingCount).toBe(0);
  });
});

describe('a decorated route whose mappers produce it', () => {
  const routes = MAPPABLE_BAD_INPUTS.map(({ index, input }) => [input.name, index, input] as const);

  it.each(routes)(
    '%s: the client gets 200 and its result, the event is reported dropped',
    async (_name, index, input) => {
      const response = await request(app.getHttpServer()).post(`/bad-input/${index}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ ok: true, case: index });
      // The event is checked at the end of its turn, which may come after the client has its response.
      await loops.flush();
      expect(outcomes).toEqual([expect.objectContaining({ status: 'dropped' })]);
      expectNamesTheField((outcomes[0] as LoopsDroppedOutcome).error, expectedRouteIssue(input));
      expect(logger.texts('warn')).toEqual([
        expect.stringContaining(`from BadInputController.badInput${index} was not sent`),
      ]);
      expect(loops.pendingCount).toBe(0);
    },
  );
});

it('left Object.prototype untouched', () => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
});
