import { Controller, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  defineLoopsEvents,
  EmitLoopsEvent,
  LoopsConfigurationError,
  LoopsEventsService,
  LoopsModule,
  type LoopsModuleOptions,
  LoopsValidationError,
  type SendEventInput,
} from '../lib';
import { LoopsTestingModule, LoopsTestRecorder } from '../lib/testing';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';

/** The catalog given to `LoopsModule.forRoot({ catalog })`: every event is checked against it before any request. */
const catalog = defineLoopsEvents({
  events: {
    signup: { plan: 'string', seats: 'number', trial: 'boolean', trialEndsAt: 'date', coupon: 'string?' },
    accountDeleted: {},
  },
  contactProperties: { plan: 'string', seats: 'number' },
  mailingLists: { productUpdates: 'cl_news' },
});

const signup = {
  eventName: 'signup',
  email: 'ada@example.com',
  eventProperties: { plan: 'pro', seats: 3, trial: true, trialEndsAt: new Date('2026-12-01T00:00:00Z') },
};

@Controller('accounts')
class AccountsController {
  @Post()
  @EmitLoopsEvent({ eventName: 'signup', eventProperties: { plan: 'pro' } })
  create() {
    return { email: 'ada@example.com' };
  }

  @Post('awaited')
  @EmitLoopsEvent({ eventName: 'signUp', mode: 'await' })
  createAwaited() {
    return { email: 'ada@example.com' };
  }
}

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp;

async function start(options: Partial<LoopsModuleOptions> = {}): Promise<LoopsTestingApp> {
  testing = await createLoopsTestingApp(server, { catalog, ...options }, { controllers: [AccountsController] });
  return testing;
}

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});

afterEach(async () => {
  await testing?.app.close();
  await server.close();
});

/** The issues of the LoopsValidationError `send` fails with, as `path rule: message`. */
async function issuesOf(send: () => Promise<unknown>): Promise<string[]> {
  const error = await send().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LoopsValidationError);
  return (error as LoopsValidationError).errors.map((issue) => `${issue.path} ${issue.rule}: ${issue.message}`);
}

describe('sends checked against the catalog', () => {
  const breaking: [string, SendEventInput, string[]][] = [
    [
      'an undeclared event',
      { eventName: 'signUp', email: 'ada@example.com' },
      [
        'eventName catalogEvent: eventName "signUp" is not in the event catalog (did you mean "signup"?); Loops would create it as a new event that no workflow listens to',
      ],
    ],
    [
      'an event name in another case, however many letters differ',
      { eventName: 'ACCOUNTDELETED', userId: 'u1' },
      [
        'eventName catalogEvent: eventName "ACCOUNTDELETED" is not in the event catalog (did you mean "accountDeleted"?); Loops would create it as a new event that no workflow listens to',
      ],
    ],
    [
      'an event name three edits from any declared one, which is not taken for a typo',
      { eventName: 'sig', userId: 'u1' },
      [
        'eventName catalogEvent: eventName "sig" is not in the event catalog; Loops would create it as a new event that no workflow listens to',
      ],
    ],
    [
      'an undeclared property, which also leaves a required one out',
      { ...signup, eventProperties: { plam: 'pro', seats: 3, trial: true, trialEndsAt: '2026-12-01' } },
      [
        'eventProperties.plam catalogProperty: eventProperties.plam is not a property of "signup" in the event catalog (did you mean "plan"?)',
        'eventProperties.plan catalogRequired: eventProperties.plan is required of "signup" by the event catalog',
      ],
    ],
    [
      'a required property set to undefined, which JSON leaves out',
      // Typed as an app with this catalog registered would type it: an optional property takes undefined.
      { ...signup, eventProperties: { ...signup.eventProperties, plan: undefined } } as unknown as SendEventInput,
      ['eventProperties.plan catalogRequired: eventProperties.plan is required of "signup" by the event catalog'],
    ],
    [
      'values of the wrong types',
      { ...signup, eventProperties: { plan: 1, seats: '3', trial: 'yes', trialEndsAt: 1764547200000 } },
      [
        'eventProperties.plan catalogType: eventProperties.plan must be a string of "signup" (got a number)',
        'eventProperties.seats catalogType: eventProperties.seats must be a number of "signup" (got a string)',
        'eventProperties.trial catalogType: eventProperties.trial must be a boolean of "signup" (got a string)',
        'eventProperties.trialEndsAt catalogType: eventProperties.trialEndsAt must be a Date or an ISO 8601 date string of "signup" (got a number)',
      ],
    ],
    [
      'a string that is not a date',
      { ...signup, eventProperties: { ...signup.eventProperties, trialEndsAt: '2026-02-30' } },
      [
        'eventProperties.trialEndsAt catalogType: eventProperties.trialEndsAt must be a Date or an ISO 8601 date string of "signup" (got a string that is not a date)',
      ],
    ],
    [
      'properties on an event that has none',
      { eventName: 'accountDeleted', userId: 'u1', eventProperties: { reason: 'moved' } },
      [
        'eventProperties.reason catalogProperty: eventProperties.reason is not a property of "accountDeleted" in the event catalog',
      ],
    ],
    [
      'an undeclared contact property and one of the wrong type',
      { eventName: 'accountDeleted', userId: 'u1', contactProperties: { plann: 'pro', seats: 'two' } },
      [
        'contactProperties.plann catalogContactProperty: contactProperties.plann is not a contact property in the catalog (did you mean "plan"?)',
        'contactProperties.seats catalogType: contactProperties.seats must be a number (got a string)',
      ],
    ],
    [
      'an undeclared mailing list',
      { eventName: 'accountDeleted', userId: 'u1', mailingLists: { cl_news: true, cl_other: false } },
      [
        'mailingLists.cl_other catalogMailingList: mailingLists.cl_other is not the id of a mailing list in the catalog',
      ],
    ],
  ];

  it.each(breaking)(
    'refuses %s with a LoopsValidationError naming each field and rule, sending nothing',
    async (_, event, issues) => {
      const { loops } = await start();

      expect(await issuesOf(() => loops.sendEvent(event))).toEqual(issues);
      expect(await issuesOf(() => loops.enqueueEventAsync(event))).toEqual(issues);
      expect(() => loops.enqueueEvent(event)).toThrow(LoopsValidationError);
      expect(server.requests).toEqual([]);
    },
  );

  it('sends what the catalog allows: dates as Date or ISO string, optional and built-in properties, nulls, declared lists', async () => {
    const { loops } = await start();

    await loops.sendEvent(signup);
    await loops.sendEvent({
      ...signup,
      eventProperties: { ...signup.eventProperties, trialEndsAt: '2026-12-01 10:30', coupon: 'XMAS' },
      contactProperties: { plan: 'pro', seats: null, firstName: 'Ada', subscribed: true },
      mailingLists: { cl_news: true },
    });
    await loops.sendEvent({ eventName: 'accountDeleted', userId: 'u1', eventProperties: {} });
    // What an optional value read off a record gives (TypeScript's optional properties take undefined): left out.
    const coupon: string | undefined = undefined;
    await loops.sendEvent({
      ...signup,
      eventProperties: { ...signup.eventProperties, coupon },
      contactProperties: { plan: undefined, seats: 2 },
      mailingLists: { cl_news: undefined, cl_unknown: undefined },
    } as unknown as SendEventInput);

    expect(server.accepted.map((event) => event.body.eventName)).toEqual([
      'signup',
      'signup',
      'accountDeleted',
      'signup',
    ]);
    expect(server.accepted[1].body).toMatchObject({ firstName: 'Ada', seats: null, mailingLists: { cl_news: true } });
    expect(server.accepted[3].body).toEqual({
      eventName: 'signup',
      email: 'ada@example.com',
      seats: 2,
      eventProperties: { plan: 'pro', seats: 3, trial: true, trialEndsAt: '2026-12-01T00:00:00.000Z' },
      mailingLists: {},
    });
  });

  it('leaves contact properties and mailing lists unchecked when the catalog does not declare them', async () => {
    const { loops } = await start({ catalog: { events: catalog.events } });

    await loops.sendEvent({ ...signup, contactProperties: { anything: 'goes' }, mailingLists: { cl_any: true } });

    expect(server.accepted).toHaveLength(1);
  });

  it('drops a decorated route event that breaks the catalog, leaving the response alone, and fails an awaited one', async () => {
    const { app, loops, logger } = await start();
    // The background event is checked at the end of its turn, so its outcome may come after the awaited one's.
    const dropped = firstValueFrom(loops.deliveries$.pipe(take(2), toArray()));

    await request(app.getHttpServer()).post('/accounts').expect(201);
    await request(app.getHttpServer()).post('/accounts/awaited').expect(500);

    expect(await dropped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'dropped', eventName: 'signup' }),
        expect.objectContaining({ status: 'dropped', eventName: 'signUp' }),
      ]),
    );
    expect(logger.texts('warn')).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          '"signup" from AccountsController.create was not sent: Invalid Loops event: eventProperties.seats is required',
        ),
        expect.stringContaining(
          '"signUp" from AccountsController.createAwaited was not sent: Invalid Loops event: eventName "signUp" is not in the event catalog',
        ),
      ]),
    );
    expect(logger.texts('warn')).toHaveLength(2);
    expect(server.requests).toEqual([]);
  });
});

describe("catalogViolations: 'warn'", () => {
  it('sends the event anyway and logs what breaks the catalog once, naming fields but no values', async () => {
    const { loops, logger } = await start({ catalogViolations: 'warn' });
    const event = { eventName: 'signUp', email: 'ada@example.com', eventProperties: { secret: 'do-not-log-me' } };

    await loops.sendEvent(event);
    await loops.sendEvent(event);
    await loops.sendEvent({ ...event, eventName: 'signup' });

    expect(server.accepted).toHaveLength(3);
    const warnings = logger.texts('warn');
    expect(warnings).toEqual([
      'Loops event "signUp" breaks the event catalog (sent anyway): eventName "signUp" is not in the event catalog (did you mean "signup"?); Loops would create it as a new event that no workflow listens to LoopsEventsService',
      expect.stringMatching(
        /^Loops event "signup" breaks the event catalog \(sent anyway\): eventProperties\.secret is not a property/,
      ),
    ]);
    expect(warnings.join('\n')).not.toContain('do-not-log-me');
    expect(warnings.join('\n')).not.toContain('ada@example.com');
  });

  it('logs a property of the wrong type once, whatever value each send gives it, and never the value', async () => {
    const { loops, logger } = await start({ catalogViolations: 'warn' });

    for (const plan of [1000, 1001, 1002]) {
      await loops.sendEvent({ ...signup, eventProperties: { ...signup.eventProperties, plan } });
    }

    expect(server.accepted).toHaveLength(3);
    expect(logger.texts('warn')).toEqual([
      expect.stringContaining('eventProperties.plan must be a string of "signup" (got a number)'),
    ]);
    expect(logger.texts('warn').join('\n')).not.toMatch(/100[0-2]/);
  });

  it('logs each problem once, though it comes back beside other problems', async () => {
    const { loops, logger } = await start({ catalogViolations: 'warn' });
    const misspelt = { ...signup, eventProperties: { ...signup.eventProperties, cupon: 'X' } };

    await loops.sendEvent(misspelt);
    await loops.sendEvent({ ...misspelt, contactProperties: { company: 'Acme' } });
    await loops.sendEvent({ ...misspelt, contactProperties: { compny: 'Acme' } });

    const warnings = logger.texts('warn');
    expect(warnings.filter((line) => line.includes('eventProperties.cupon'))).toHaveLength(1);
    expect(warnings).toEqual([
      expect.stringContaining('eventProperties.cupon is not a property of "signup"'),
      expect.stringMatching(/\(sent anyway\): contactProperties\.company is not a contact property/),
      expect.stringMatching(/\(sent anyway\): contactProperties\.compny is not a contact property/),
    ]);
  });

  it('remembers at most 1,000 problems: past that it starts over, and logs an old one again', async () => {
    const { loops, logger } = await start({ catalogViolations: 'warn', dryRun: true, logLevels: { dryRun: false } });
    const send = (index: number) => loops.sendEvent({ eventName: `unknown${index}`, userId: 'u1' });
    for (let index = 0; index <= 1_000; index++) await send(index);
    await send(0);
    expect(logger.texts('warn').filter((line) => line.includes('"unknown0"'))).toHaveLength(2);
    expect(logger.texts('warn').filter((line) => line.includes('"unknown1"'))).toHaveLength(1);
  });
});

describe('LoopsTestingModule with a catalog', () => {
  let app: INestApplication;
  afterEach(() => app?.close());

  it('refuses what breaks it, so that tests catch a typo, and records what keeps to it', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [LoopsTestingModule.forRoot({ catalog })] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    const loops = app.get(LoopsEventsService);
    const recorder = app.get(LoopsTestRecorder);

    await expect(loops.sendEvent({ eventName: 'signUp', email: 'ada@example.com' })).rejects.toThrow(
      'eventName "signUp" is not in the event catalog (did you mean "signup"?)',
    );
    await loops.sendEvent(signup);

    expect(recorder.events.map((event) => event.eventName)).toEqual(['signup']);
  });
});

describe('the catalog options', () => {
  const invalid: [string, Partial<LoopsModuleOptions>, string][] = [
    [
      'a catalog that is not an object',
      { catalog: 'events' as never },
      'Invalid LoopsModule option "catalog": must be an object like defineLoopsEvents() takes',
    ],
    [
      'no events',
      { catalog: {} as never },
      'Invalid LoopsModule option "catalog.events": is required: an object of event name to properties',
    ],
    [
      'an unknown property type',
      { catalog: { events: { signup: { plan: 'text' } } } as never },
      `Invalid LoopsModule option "catalog.events.signup.plan": must be one of 'string', 'string?', 'number', 'number?', 'boolean', 'boolean?', 'date', 'date?'`,
    ],
    [
      'an optional contact property',
      { catalog: { events: {}, contactProperties: { plan: 'string?' } } as never },
      `Invalid LoopsModule option "catalog.contactProperties.plan": must be one of 'string', 'number', 'boolean', 'date'`,
    ],
    [
      'a contact property named like a body field',
      { catalog: { events: {}, contactProperties: { eventName: 'string' } } },
      'Invalid LoopsModule option "catalog.contactProperties.eventName": is not allowed as a property name',
    ],
    [
      'an empty mailing list id',
      { catalog: { events: {}, mailingLists: { news: ' ' } } },
      `Invalid LoopsModule option "catalog.mailingLists.news": must be the mailing list's id in Loops (a string)`,
    ],
    [
      'an unknown violation mode',
      { catalog, catalogViolations: 'ignore' as never },
      `Invalid LoopsModule option "catalogViolations": must be one of 'error', 'warn'`,
    ],
    [
      'a violation mode without a catalog',
      { catalog: undefined, catalogViolations: 'warn' },
      'Invalid LoopsModule option "catalogViolations": has no effect without the catalog option',
    ],
    [
      'an unknown verify mode',
      { verify: 'strict' as never },
      `Invalid LoopsModule option "verify": must be one of 'off', 'warn', 'error'`,
    ],
    [
      'a verify timeout of 0',
      { verifyTimeoutMs: 0 },
      'Invalid LoopsModule option "verifyTimeoutMs": must be a whole number of milliseconds >= 1',
    ],
  ];

  it.each(invalid)('stop the boot on %s, naming the option and the rule', async (_, options, message) => {
    const boot = Test.createTestingModule({
      imports: [LoopsModule.forRoot({ apiKey: 'k', baseUrl: server.baseUrl, ...options })],
    }).compile();

    await expect(boot).rejects.toBeInstanceOf(LoopsConfigurationError);
    await expect(boot).rejects.toThrow(message);
  });
});
