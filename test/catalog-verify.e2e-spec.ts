import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { defineLoopsEvents, LoopsConfigurationError, type LoopsModuleOptions, LoopsRateLimiter } from '../lib';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';
import { ThrowingAfterGrantLimiter } from './support/throwing-after-grant-limiter';

/** The `verify` option: the key and the catalog checked against the account while the app boots. */
const KEY = 'sk_verify_do-not-log-0123456789';

const catalog = defineLoopsEvents({
  events: { signup: { plan: 'string' }, accountDeleted: {} },
  contactProperties: { plan: 'string' },
  mailingLists: { news: 'cl_news' },
});

const matchingAccount = {
  eventPatterns: [
    { eventName: 'signup', properties: { plan: 'string' } as const },
    { eventName: 'accountDeleted' },
    { eventName: 'unused' },
  ],
  contactProperties: [{ key: 'plan', type: 'string' as const }],
  mailingLists: [{ id: 'cl_news', name: 'News' }],
};

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp | undefined;
const logLines: string[] = [];

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ apiKey: KEY, teamName: 'Acme', rateLimitPerSecond: 10 });
  server.account.seed(matchingAccount);
});

afterEach(async () => {
  await testing?.app.close();
  testing = undefined;
  await server.close();
  // Whatever happened at boot, the key was never logged.
  expect(logLines.join('\n')).not.toContain(KEY);
  logLines.length = 0;
});

async function boot(options: Parameters<typeof createLoopsTestingApp>[1]): Promise<LoopsTestingApp> {
  testing = await createLoopsTestingApp(server, { apiKey: KEY, catalog, ...options });
  logLines.push(...testing.logger.texts());
  return testing;
}

/** What the app module's boot rejected with. */
async function bootFailure(options: Partial<LoopsModuleOptions>): Promise<Error> {
  const error = await boot(options).then(
    () => undefined,
    (thrown: Error) => thrown,
  );
  expect(error).toBeInstanceOf(LoopsConfigurationError);
  logLines.push((error as Error).message);
  return error as Error;
}

describe("verify: 'off' (the default)", () => {
  it('asks Loops nothing at boot, even with a catalog the account does not match', async () => {
    server.account.seed({});

    await boot({});

    expect(server.requests).toEqual([]);
  });
});

describe.each(['warn', 'error'] as const)("verify: '%s'", (verify) => {
  it('checks the key and the catalog, logging that both are right, and boots', async () => {
    const { logger } = await boot({ verify });

    expect(server.requests.map((request) => request.path)).toEqual(
      expect.arrayContaining([
        '/api/v1/api-key',
        '/api/v1/event-patterns',
        '/api/v1/contacts/properties',
        '/api/v1/lists',
      ]),
    );
    expect(logger.texts('log')).toContain(
      'Loops key and event catalog checked against the account of team "Acme" LoopsModule',
    );
    expect(logger.texts('warn')).toEqual([]);
  });

  it('checks only the key without a catalog', async () => {
    const { logger } = await boot({ verify, catalog: undefined });

    expect(server.requests.map((request) => request.path)).toEqual(['/api/v1/api-key']);
    expect(logger.texts('log')).toContain('Loops key checked against the account of team "Acme" LoopsModule');
  });

  it('never runs in dryRun', async () => {
    await boot({ verify, dryRun: true });

    expect(server.requests).toEqual([]);
  });

  it('boots with a warning when Loops cannot be reached', async () => {
    await server.close();

    const { logger } = await boot({ verify });

    expect(logger.texts('warn')).toEqual([
      expect.stringMatching(/^Could not check the Loops account at start-up \(.*\); starting anyway LoopsModule$/),
    ]);
  });

  it('boots with a warning when Loops does not answer within verifyTimeoutMs', async () => {
    // A server that reads requests and never answers them.
    const silent: Server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const { logger } = await boot({ verify, verifyTimeoutMs: 300, baseUrl: `http://127.0.0.1:${port}/api/v1` });

      expect(logger.texts('warn')).toEqual([
        'Could not check the Loops account at start-up (no answer within 300 ms); starting anyway LoopsModule',
      ]);
    } finally {
      await testing?.app.close();
      testing = undefined;
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("verify: 'warn'", () => {
  it('logs each drift and boots', async () => {
    server.account.seed({ ...matchingAccount, eventPatterns: [{ eventName: 'signup' }], mailingLists: [] });

    const { logger } = await boot({ verify: 'warn' });

    expect(logger.texts('warn')).toEqual([
      'Loops event catalog drift: event "accountDeleted" is in the catalog but not in Loops: sending it would create a new event silently LoopsModule',
      'Loops event catalog drift: event "signup": property "plan" is in the catalog but the event in Loops has no such property LoopsModule',
      'Loops event catalog drift: mailing list "news" (cl_news) is in the catalog but no list in Loops has this id LoopsModule',
    ]);
  });

  it('logs a rejected key and boots', async () => {
    const { logger } = await boot({ verify: 'warn', apiKey: 'sk_wrong' });

    expect(logger.texts('warn')).toEqual([
      'The Loops API key was rejected by Loops (401) when checked at start-up; events will fail until it is fixed LoopsModule',
    ]);
  });
});

describe("verify: 'error'", () => {
  it('stops the boot with the list of drift', async () => {
    server.account.seed({ ...matchingAccount, contactProperties: [{ key: 'plan', type: 'number' }] });

    const error = await bootFailure({ verify: 'error' });

    expect(error.message).toBe(
      'Invalid LoopsModule option "catalog": does not match the Loops account of team "Acme":\n' +
        '  - contact property "plan" is a string in the catalog but a number in Loops',
    );
  });

  it('stops the boot on a rejected key, without showing it', async () => {
    const error = await bootFailure({ verify: 'error', apiKey: `${KEY}-revoked` });

    expect(error.message).toBe(
      'Invalid LoopsModule option "apiKey": was rejected by Loops (401) when checked at start-up',
    );
  });
});

describe('verify and the rate limit', () => {
  /** A server that admits exactly verify's reads in a second: the last one is answered x-ratelimit-remaining: 0. */
  async function serverFullAfterVerify(): Promise<number> {
    await boot({ verify: 'warn' });
    const reads = server.requests.length;
    await testing?.app.close();
    testing = undefined;
    await server.close();
    server = await LoopsCompatibleServer.start({ apiKey: KEY, teamName: 'Acme', rateLimitPerSecond: reads });
    server.account.seed(matchingAccount);
    return reads;
  }

  it("a read whose answer leaves nothing of Loops' window holds the next request back, as any answer does", async () => {
    const reads = await serverFullAfterVerify();

    // The module's own limiter, at Loops' 10 a second: it would let the send go at once.
    const { loops } = await boot({ verify: 'warn', rateLimit: {} });
    await loops.sendEvent({ eventName: 'signup', email: 'ada@example.com', eventProperties: { plan: 'pro' } });

    expect(server.requests.map((request) => request.status)).toEqual(Array(reads + 1).fill(200));
  });

  it("a limiter of the app's own that throws once a read is done: the account is checked all the same, and it is logged", async () => {
    const reads = await serverFullAfterVerify();

    const { logger } = await boot({
      verify: 'error',
      extraProviders: [{ provide: LoopsRateLimiter, useClass: ThrowingAfterGrantLimiter }],
    });

    expect(logger.texts('log')).toContain(
      'Loops key and event catalog checked against the account of team "Acme" LoopsModule',
    );
    const failures = logger.texts('error');
    expect(failures.filter((line) => line.includes("rate limiter's release failed"))).toHaveLength(reads);
    expect(failures.filter((line) => line.includes("rate limiter's pauseFor failed"))).toHaveLength(1);
  });
});
