/**
 * Every kind of bad input to the transactional and contact services gets a LoopsValidationError naming the field
 * and the rule, through every method that takes it, before any request: the server must see none.
 */
import { Body, Controller, Post, ValidationPipe } from '@nestjs/common';
import request from 'supertest';
import {
  LoopsContactsService,
  LoopsEventsService,
  LoopsTransactionalService,
  LoopsValidationError,
  SendTransactionalDto,
} from '../lib';
import {
  BAD_CONTACT_IDENTITIES,
  BAD_CONTACT_WRITES,
  BAD_TRANSACTIONAL_INPUTS,
  type BadCallInput,
} from './support/bad-transactional-and-contact-inputs';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';

@Controller('emails')
class EmailsController {
  constructor(private readonly transactional: LoopsTransactionalService) {}

  @Post()
  send(
    @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
    email: SendTransactionalDto,
  ) {
    return this.transactional.send(email);
  }
}

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp;
let transactional: LoopsTransactionalService;
let contacts: LoopsContactsService;

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  testing = await createLoopsTestingApp(server, { retry: false }, { controllers: [EmailsController] });
  transactional = testing.app.get(LoopsTransactionalService);
  contacts = testing.app.get(LoopsContactsService);
});
afterEach(() => {
  // Whatever the test, not one request may have reached the server.
  expect(server.requests).toHaveLength(0);
  expect(testing.app.get(LoopsEventsService).pendingCount).toBe(0);
});
afterAll(async () => {
  await testing.app.close();
  await server.close();
});

function expectNamesTheField(error: unknown, expected: BadCallInput): void {
  expect(error).toBeInstanceOf(LoopsValidationError);
  const { errors, message } = error as LoopsValidationError;
  const issue = errors.find((candidate) => candidate.path === expected.path);
  expect({ path: issue?.path, rule: issue?.rule }).toEqual({ path: expected.path, rule: expected.rule });
  expect(message).toContain(issue?.message);
}

const caught = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  return new Error('no throw');
};
const rejected = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => new Error('resolved'),
    (error: unknown) => error,
  );

const table = <T extends BadCallInput>(inputs: readonly T[]) => inputs.map((input) => [input.name, input] as const);

describe('LoopsTransactionalService', () => {
  it.each(table(BAD_TRANSACTIONAL_INPUTS))('%s: send, enqueue and enqueueAsync all refuse it', async (_name, bad) => {
    const options = { idempotencyKey: bad.idempotencyKey as string | undefined };
    const input = bad.input as never;
    expectNamesTheField(await rejected(transactional.send(input, options)), bad);
    expectNamesTheField(
      caught(() => transactional.enqueue(input, options)),
      bad,
    );
    expectNamesTheField(await rejected(transactional.enqueueAsync(input, options)), bad);
  });
});

describe('LoopsContactsService', () => {
  it.each(table(BAD_CONTACT_WRITES))('%s: createContact and updateContact refuse it', async (_name, bad) => {
    const input = bad.input as never;
    expectNamesTheField(await rejected(contacts.updateContact(input)), bad);
    expectNamesTheField(await rejected(contacts.createContact(input)), bad);
  });

  it('createContact refuses a userId alone: it needs an email', async () => {
    expectNamesTheField(await rejected(contacts.createContact({ userId: 'u1' } as never)), {
      name: '',
      input: undefined,
      path: 'email',
      rule: 'required',
    });
  });

  it.each(table(BAD_CONTACT_IDENTITIES))('%s: findContact and deleteContact refuse it', async (_name, bad) => {
    const identity = bad.input as never;
    expectNamesTheField(await rejected(contacts.findContact(identity)), bad);
    expectNamesTheField(await rejected(contacts.deleteContact(identity)), bad);
  });

  it('updateMailingLists refuses a list set to something other than a boolean', async () => {
    expectNamesTheField(
      await rejected(contacts.updateMailingLists({ email: 'ada@example.com' }, { list1: 1 } as never)),
      { name: '', input: undefined, path: 'mailingLists.list1', rule: 'isBoolean' },
    );
  });
});

describe('SendTransactionalDto as a @Body() with ValidationPipe: the same rules', () => {
  it.each([
    [{ email: 'ada@example.com' }, 'transactionalId is required'],
    [{ transactionalId: 'Welcome email', email: 'ada@example.com' }, 'not its name'],
    [{ transactionalId: 'c1', email: 'nope' }, 'email must be a valid email address'],
    [{ transactionalId: 'c1', email: 'ada@example.com', dataVariables: { vip: true } }, 'dataVariables.vip must be'],
    [
      {
        transactionalId: 'c1',
        email: 'ada@example.com',
        attachments: [{ filename: 'a', contentType: 'x/y', data: '%' }],
      },
      'attachments[0].data must be base64',
    ],
    [{ transactionalId: 'c1', email: 'ada@example.com', subject: 'Hi' }, 'property subject should not exist'],
  ])('answers 400 naming the field for %j, and sends nothing', async (body, message) => {
    const response = await request(testing.app.getHttpServer()).post('/emails').send(body).expect(400);
    expect((response.body as { message: string[] }).message.join('\n')).toContain(message);
  });

  it('lets a valid body through to send', async () => {
    const body = { transactionalId: 'c1', email: 'ada@example.com', dataVariables: { items: [{ n: 1 }] } };
    await request(testing.app.getHttpServer()).post('/emails').send(body).expect(201);
    expect(server.requests[0].body).toEqual(body);
    server.reset();
  });
});

it('left Object.prototype untouched', () => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
