import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopsNetworkError, type LoopsCatalog, type LoopsTransport } from '../lib';
import { FetchLoopsTransport } from '../lib/cli/fetch-loops-transport';
import { runCli } from '../lib/cli/run-cli';
import { type LoopsAccountSeed, LoopsCompatibleServer, seededId } from './support/loops-server';
import { typeCheckFiles } from './support/type-check-files';

/** `nestjs-loops pull` and `check`, run in-process against the Loops-compatible server, over HTTP. */
const root = join(__dirname, '..');
const KEY = 'sk_cli_do-not-print-0123456789';
const NOW = new Date('2026-11-23T10:00:00.000Z');

const account: LoopsAccountSeed = {
  eventPatterns: [
    { eventName: 'signup', properties: { plan: 'string', seats: 'number', trialEndsAt: 'date' } },
    { eventName: 'planChanged', properties: { plan: 'string', yearly: 'boolean' } },
    { eventName: 'accountDeleted' },
    { eventName: 'invoice.paid', incomingWebhookPlatform: 'stripe', properties: { amount: 'number' } },
  ],
  contactProperties: [
    { key: 'plan', label: 'Plan', type: 'string' },
    { key: 'seats', label: 'Seats', type: 'number' },
  ],
  mailingLists: [
    { id: 'cl_news', name: 'Product updates', description: 'Monthly */ news', isPublic: true },
    { id: 'cl_beta', name: 'Beta testers', isPublic: false },
    { id: 'cl_beta2', name: 'beta-testers!', isPublic: false },
    { id: 'cl_digits', name: '2026 launch', isPublic: true },
  ],
};

/** What `pull` writes for `account`: the catalog `check` compares with it. */
const pulledCatalog: LoopsCatalog = {
  events: {
    accountDeleted: {},
    planChanged: { plan: 'string', yearly: 'boolean' },
    signup: { plan: 'string', seats: 'number', trialEndsAt: 'date' },
  },
  contactProperties: { plan: 'string', seats: 'number' },
  mailingLists: {
    betaTesters: 'cl_beta',
    betaTesters2: 'cl_beta2',
    list2026Launch: 'cl_digits',
    productUpdates: 'cl_news',
  },
};

let server: LoopsCompatibleServer;
let dir: string;

beforeEach(async () => {
  server = await LoopsCompatibleServer.start({ apiKey: KEY, teamName: 'Acme', rateLimitPerSecond: 10 });
  server.account.seed(account);
  // Inside the repository, so that the project's typescript package is found from it, as in an app.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules/.cache/cli-'));
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = dir,
  transport?: LoopsTransport,
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    cwd,
    transport,
    env: { LOOPS_API_KEY: KEY, LOOPS_BASE_URL: server.baseUrl, ...env },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    now: () => NOW,
  });
  // Whatever happened, the key is never printed.
  expect([...out, ...err].join('\n')).not.toContain(KEY);
  return { code, out, err };
}

function writeCatalog(catalog: unknown, file = 'src/loops.catalog.ts'): string {
  const path = join(dir, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(
    path,
    `import { defineLoopsEvents } from 'nestjs-loops';\n\nexport const catalog = defineLoopsEvents(${JSON.stringify(catalog, null, 2)});\n`,
  );
  return path;
}

const catalogFile = (): string => readFileSync(join(dir, 'src/loops.catalog.ts'), 'utf8');

/** The most requests the server saw arrive within any sliding second. */
function busiestSecond(): number {
  const arrivals = server.requests.map((request) => request.receivedAt).sort((a, b) => a - b);
  let busiest = 0;
  for (let last = 0, first = 0; last < arrivals.length; last++) {
    while (arrivals[last] - arrivals[first] >= 1000) first++;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

describe('pull', () => {
  it('writes the catalog of a multi-page account under the rate limit, which compiles and passes check', async () => {
    // 61 events: two pages of 50 along the cursor, and one request for each event's properties.
    const many = Array.from({ length: 61 }, (_, index) => ({
      eventName: `event${String((index * 37) % 61).padStart(2, '0')}`,
      properties: { plan: 'string', amount: 'number', paid: 'boolean', at: 'date' } as const,
    }));
    server.account.seed({ ...account, eventPatterns: [...account.eventPatterns!, ...many] });

    const pulled = await cli(['pull']);

    expect(pulled).toMatchObject({ code: 0, err: [] });
    expect(pulled.out[0]).toBe(
      'Wrote src/loops.catalog.ts from the Loops account of team "Acme": 64 events, 2 custom contact properties, ' +
        '4 mailing lists.',
    );
    const pages = server.account.reads.filter((read) => read.path === '/api/v1/event-patterns');
    expect(pages.map((page) => [page.query.get('perPage'), page.query.get('cursor') !== null])).toEqual([
      ['50', false],
      ['50', true],
    ]);
    expect(server.requests.filter((request) => request.status === 429)).toEqual([]);
    expect(busiestSecond()).toBeLessThanOrEqual(10);
    const source = catalogFile();
    const eventNames = [...source.matchAll(/^ {4}(\w+): \{/gm)].map((match) => match[1]);
    expect(eventNames).toEqual([...eventNames].sort());
    expect(eventNames).toHaveLength(64);

    // It is a TypeScript file that registers itself: sends against it are checked.
    const consumer = join(dir, 'src/consumer.ts');
    const files = new Map([
      [join(dir, 'src/loops.catalog.ts'), source],
      [
        consumer,
        [
          "import { LoopsEventsService } from 'nestjs-loops';",
          "import { MailingLists } from './loops.catalog';",
          'export function send(loops: LoopsEventsService): void {',
          "  loops.enqueueEvent({ eventName: 'event07', email: 'a@b.co', eventProperties: { plan: 'pro', amount: 1, paid: true, at: new Date() }, mailingLists: { [MailingLists.productUpdates]: true } });",
          "  loops.enqueueEvent({ eventName: 'accountDeleted', email: 'a@b.co', contactProperties: { seats: 2, firstName: 'Ada' } });",
          '  // @ts-expect-error an event Loops does not have',
          "  loops.enqueueEvent({ eventName: 'event99', email: 'a@b.co' });",
          '  // @ts-expect-error a property of the wrong type',
          "  loops.enqueueEvent({ eventName: 'planChanged', email: 'a@b.co', eventProperties: { plan: 'pro', yearly: 'yes' } });",
          '}',
        ].join('\n'),
      ],
    ]);
    expect(typeCheckFiles(files)).toEqual([]);

    server.account.reads.length = 0;
    const checked = await cli(['check']);

    expect(checked).toEqual({
      code: 0,
      out: ['src/loops.catalog.ts matches the Loops account of team "Acme".'],
      err: [],
    });
    // The properties of each event of the catalog were read: 64 of them, after two pages. (A 429 is possible here
    // and retried: this run's limiter doesn't know the requests of the pull just before, as with two real runs.)
    const details = server.account.reads.filter((read) => read.path.startsWith('/api/v1/event-patterns/'));
    expect(details.filter((read) => read.status === 200)).toHaveLength(64);
  }, 60_000);

  it('says when, from where and from which team in its header, sorts everything, and leaves integration events out', async () => {
    const { out } = await cli(['pull']);

    expect(out[1]).toBe('Left out, as integrations send them rather than the app: invoice.paid.');
    expect(catalogFile())
      .toBe(`// Written by \`nestjs-loops pull\` on 2026-11-23T10:00:00.000Z from ${server.baseUrl} (team "Acme").
// Pull again to refresh it, and run \`nestjs-loops check\` in CI to compare it with the account. A \`?\` after a
// property type ('string?') lets sends leave that property out; pull keeps the ones you add.
import { defineLoopsEvents } from 'nestjs-loops';

/** The mailing lists of the account: their ids by name, e.g. \`mailingLists: { [MailingLists.news]: true }\`. */
export const MailingLists = {
  /** Beta testers (private) */
  betaTesters: 'cl_beta',
  /** beta-testers! (private) */
  betaTesters2: 'cl_beta2',
  /** 2026 launch (public) */
  list2026Launch: 'cl_digits',
  /** Product updates (public): Monthly *\\/ news */
  productUpdates: 'cl_news',
} as const;

export const catalog = defineLoopsEvents({
  events: {
    accountDeleted: {},
    planChanged: {
      plan: 'string',
      yearly: 'boolean',
    },
    signup: {
      plan: 'string',
      seats: 'number',
      trialEndsAt: 'date',
    },
  },
  contactProperties: {
    plan: 'string',
    seats: 'number',
  },
  mailingLists: MailingLists,
});

declare module 'nestjs-loops' {
  interface LoopsRegister {
    catalog: typeof catalog;
  }
}
`);
  });

  it('writes the same file for the same account, whatever order Loops lists it in', async () => {
    await cli(['pull']);
    const first = catalogFile();
    server.account.seed({
      eventPatterns: [...account.eventPatterns!].reverse(),
      contactProperties: [...account.contactProperties!].reverse(),
      mailingLists: [...account.mailingLists!].reverse(),
    });

    await cli(['pull']);

    expect(catalogFile()).toBe(first);
  });

  it('keeps the constants of existing lists when a new list gives the same constant, whatever its name', async () => {
    await cli(['pull']);
    // Its name sorts before "Beta testers", its id after every other list's, as a newer list's id does in Loops.
    server.account.seed({
      ...account,
      mailingLists: [...account.mailingLists!, { id: 'cl_zeta', name: 'Beta Testers', isPublic: true }],
    });

    expect((await cli(['pull'])).code).toBe(0);

    expect(catalogFile()).toContain("  betaTesters: 'cl_beta',\n");
    expect(catalogFile()).toContain("  betaTesters2: 'cl_beta2',\n");
    expect(catalogFile()).toContain("  betaTesters3: 'cl_zeta',\n");
  });

  it('keeps the constants the replaced file gave its lists, however they were numbered, until a list is renamed', async () => {
    await cli(['pull']);
    // As an earlier version numbered them (by name first): the other way round from the ids.
    writeFileSync(
      join(dir, 'src/loops.catalog.ts'),
      catalogFile()
        .replace("betaTesters: 'cl_beta'", "betaTesters: 'cl_tmp'")
        .replace("betaTesters2: 'cl_beta2'", "betaTesters2: 'cl_beta'")
        .replace("betaTesters: 'cl_tmp'", "betaTesters: 'cl_beta2'"),
    );

    expect((await cli(['pull'])).code).toBe(0);
    expect(catalogFile()).toContain("  betaTesters: 'cl_beta2',\n");
    expect(catalogFile()).toContain("  betaTesters2: 'cl_beta',\n");

    server.account.seed({
      ...account,
      mailingLists: account.mailingLists!.map((list) =>
        list.id === 'cl_beta2' ? { ...list, name: 'Early access' } : list,
      ),
    });
    expect((await cli(['pull'])).code).toBe(0);
    expect(catalogFile()).toContain("  earlyAccess: 'cl_beta2',\n");
    expect(catalogFile()).toContain("  betaTesters2: 'cl_beta',\n");
  });

  it("gives a renamed list's old constant to no other list in the same pull", async () => {
    server.account.seed({ ...account, mailingLists: [{ id: 'cl_a', name: 'Beta testers', isPublic: true }] });
    await cli(['pull']);
    expect(catalogFile()).toContain("  betaTesters: 'cl_a',\n");
    // Renamed, and another list takes its old name, in one pull.
    server.account.seed({
      ...account,
      mailingLists: [
        { id: 'cl_a', name: 'Alpha testers', isPublic: true },
        { id: 'cl_b', name: 'Beta testers', isPublic: true },
      ],
    });

    expect((await cli(['pull'])).code).toBe(0);

    // Code still using MailingLists.betaTesters fails to compile rather than subscribing people to cl_b.
    expect(catalogFile()).toContain("  alphaTesters: 'cl_a',\n");
    expect(catalogFile()).toContain("  betaTesters2: 'cl_b',\n");
    expect(catalogFile()).not.toContain('  betaTesters:');
  });

  it("keeps the optional markers added to the file, unless the property's type changed in Loops", async () => {
    await cli(['pull']);
    writeFileSync(
      join(dir, 'src/loops.catalog.ts'),
      catalogFile()
        .replace("seats: 'number',\n      trialEndsAt", "seats: 'number?',\n      trialEndsAt")
        .replace("yearly: 'boolean'", "yearly: 'boolean?'"),
    );
    server.account.seed({
      ...account,
      eventPatterns: account.eventPatterns!.map((pattern) =>
        pattern.eventName === 'planChanged'
          ? { ...pattern, properties: { plan: 'string', yearly: 'string' } }
          : pattern,
      ),
    });

    expect((await cli(['pull'])).code).toBe(0);

    expect(catalogFile()).toContain("      seats: 'number?',\n");
    expect(catalogFile()).toContain("      yearly: 'string',\n");
  });

  it("writes names Object already has as Loops gives them, or leaves out with a warning what a catalog can't declare", async () => {
    server.account.seed({
      ...account,
      eventPatterns: [
        ...account.eventPatterns!,
        { eventName: '__proto__', properties: { plan: 'string' } },
        { eventName: 'toString', properties: { valueOf: 'number' as const } },
        { eventName: 'built', properties: { constructor: 'string' as const, size: 'number' as const } },
      ],
      contactProperties: [
        ...account.contactProperties!,
        { key: 'prototype', label: 'Prototype', type: 'string' },
        { key: 'valueOf', label: 'Value of', type: 'number' },
      ],
    });

    const { code, err } = await cli(['pull']);

    expect(code).toBe(0);
    expect(err).toEqual([
      'warning: contact property "prototype" left out: a catalog can\'t declare it (a name every object has)',
      'warning: event "built": property "constructor" left out: a catalog can\'t declare it (a name every object has)',
    ]);
    expect(catalogFile()).toContain("    ['__proto__']: {\n      plan: 'string',\n    },\n");
    // What pull wrote is what check finds in the account: no drift from names Object has.
    expect(await cli(['check'])).toMatchObject({ code: 0, err: [] });
    // A contact property the catalog declares and Loops lacks, named like an Object member: drift, not a mismatch.
    writeFileSync(
      join(dir, 'src/loops.catalog.ts'),
      catalogFile().replace('  contactProperties: {\n', "  contactProperties: {\n    toString: 'string',\n"),
    );
    const checked = await cli(['check']);
    expect(checked.code).toBe(1);
    expect(checked.out).toContain('drift: contact property "toString" is in the catalog but does not exist in Loops');
  });

  it('writes where --out says, creating its folder, and prints one JSON object with --json', async () => {
    const { code, out } = await cli(['pull', '--out', 'generated/catalog.ts', '--json']);

    expect(code).toBe(0);
    expect(out.map((line) => JSON.parse(line))).toEqual([
      {
        ok: true,
        file: 'generated/catalog.ts',
        team: 'Acme',
        events: 3,
        contactProperties: 2,
        mailingLists: 4,
        integrationEvents: ['invoice.paid'],
      },
    ]);
    expect(readFileSync(join(dir, 'generated/catalog.ts'), 'utf8')).toContain('export const catalog');
  });

  it('leaves the file it replaces whole when the new one can not be written, and says so', async () => {
    expect((await cli(['pull'])).code).toBe(0);
    const before = catalogFile();
    server.account.seed({ ...account, mailingLists: [...account.mailingLists!, { id: 'cl_new', name: 'New list' }] });
    // A write that fails half-way, as on a full disk: the place of the file written beside the target is taken.
    mkdirSync(join(dir, `src/loops.catalog.ts.${process.pid}.tmp`));

    const { code, err } = await cli(['pull']);

    expect(code).toBe(2);
    expect(err).toEqual([
      expect.stringMatching(
        /^nestjs-loops: src\/loops\.catalog\.ts could not be written \(.+\); the previous file is unchanged$/,
      ),
    ]);
    expect(catalogFile()).toBe(before);
  });

  it('writes through a symlink to the file it names, keeping its permissions; leaves nothing behind when it fails', async () => {
    mkdirSync(join(dir, 'shared'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'shared/loops.catalog.ts'), '// placeholder\n');
    chmodSync(join(dir, 'shared/loops.catalog.ts'), 0o600);
    symlinkSync('../shared/loops.catalog.ts', join(dir, 'src/loops.catalog.ts'));

    expect((await cli(['pull'])).code).toBe(0);

    expect(lstatSync(join(dir, 'src/loops.catalog.ts')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'shared/loops.catalog.ts'), 'utf8')).toContain('export const catalog');
    expect(statSync(join(dir, 'shared/loops.catalog.ts')).mode & 0o777).toBe(0o600);

    // --out naming a folder: the write beside it succeeds, the rename over it fails; no temporary file is left.
    mkdirSync(join(dir, 'out-dir'));
    const { code, err } = await cli(['pull', '--out', 'out-dir']);
    expect(code).toBe(2);
    expect(err.at(-1)).toMatch(/^nestjs-loops: out-dir could not be written \(EISDIR/);
    expect(readdirSync(dir).filter((name) => name.startsWith('out-dir'))).toEqual(['out-dir']);
  });

  it('warns, and still pulls, when the file it replaces can not be read', async () => {
    writeFileSync(join(dir, 'catalog.ts'), 'export const catalog = {');

    const { code, err } = await cli(['pull', '--out', 'catalog.ts']);

    expect(code).toBe(0);
    expect(err).toEqual([
      "warning: catalog.ts could not be loaded: line 1: '}' expected.; optional markers ('string?') in it are not kept",
    ]);
    expect(readFileSync(join(dir, 'catalog.ts'), 'utf8')).toContain('export const catalog = defineLoopsEvents({');
  });
});

describe('check', () => {
  it('passes a catalog that matches, with notes for what the account has that the catalog does not use', async () => {
    writeCatalog({
      events: { signup: { plan: 'string?', seats: 'number', trialEndsAt: 'date' }, accountDeleted: {} },
      contactProperties: { plan: 'string', firstName: 'string' },
      mailingLists: { news: 'cl_news' },
    });

    const { code, out } = await cli(['check']);

    expect(code).toBe(0);
    expect(out).toEqual([
      'note: event "planChanged" is in Loops but not in the catalog',
      'note: contact property "seats" is in Loops but not in the catalog',
      'note: mailing list "2026 launch" (cl_digits) is in Loops but not in the catalog',
      'note: mailing list "Beta testers" (cl_beta) is in Loops but not in the catalog',
      'note: mailing list "beta-testers!" (cl_beta2) is in Loops but not in the catalog',
      'src/loops.catalog.ts matches the Loops account of team "Acme" (5 notes).',
    ]);
  });

  const drifts: [string, (catalog: any) => void, string][] = [
    [
      'an event Loops does not have',
      (catalog) => (catalog.events.signUp = {}),
      'drift: event "signUp" is in the catalog but not in Loops: sending it would create a new event silently (did you mean "signup"?)',
    ],
    [
      'a property the event does not define',
      (catalog) => (catalog.events.signup.plam = 'string'),
      'drift: event "signup": property "plam" is in the catalog but the event in Loops has no such property (did you mean "plan"?)',
    ],
    [
      'a property of another type',
      (catalog) => (catalog.events.planChanged.yearly = 'string?'),
      'drift: event "planChanged": property "yearly" is a string in the catalog but a boolean in Loops',
    ],
    [
      'a contact property that does not exist',
      (catalog) => (catalog.contactProperties.company = 'string'),
      'drift: contact property "company" is in the catalog but does not exist in Loops',
    ],
    [
      'a contact property of another type',
      (catalog) => (catalog.contactProperties.seats = 'string'),
      'drift: contact property "seats" is a string in the catalog but a number in Loops',
    ],
    [
      'a mailing list id that does not exist',
      (catalog) => (catalog.mailingLists.launch = 'cl_gone'),
      'drift: mailing list "launch" (cl_gone) is in the catalog but no list in Loops has this id',
    ],
  ];

  it.each(drifts)('exits 1 on %s, printing it on a line of its own', async (_, change, line) => {
    const catalog = structuredClone(pulledCatalog);
    change(catalog);
    writeCatalog(catalog);

    const { code, out } = await cli(['check']);

    expect(code).toBe(1);
    expect(out).toEqual([line, 'src/loops.catalog.ts drifts from the Loops account of team "Acme": 1 problem.']);
  });

  it('reports every drift and note at once with --json, in a stable order', async () => {
    const catalog = structuredClone(pulledCatalog) as any;
    for (const [, change] of drifts) change(catalog);
    delete catalog.events.accountDeleted;
    writeCatalog(catalog, 'catalog.ts');

    const { code, out } = await cli(['check', '--catalog', 'catalog.ts', '--json']);

    expect(code).toBe(1);
    const report = JSON.parse(out.join('\n'));
    expect(report).toMatchObject({ ok: false, catalog: 'catalog.ts', team: 'Acme' });
    expect(report.drift.map((item: { kind: string }) => item.kind)).toEqual([
      'event-property-type',
      'event-missing',
      'event-property-missing',
      'contact-property-missing',
      'contact-property-type',
      'mailing-list-missing',
    ]);
    expect(report.drift[0]).toEqual({
      kind: 'event-property-type',
      eventName: 'planChanged',
      property: 'yearly',
      catalogType: 'string',
      accountType: 'boolean',
      message: 'event "planChanged": property "yearly" is a string in the catalog but a boolean in Loops',
    });
    expect(report.notes).toEqual([
      {
        kind: 'event-unused',
        eventName: 'accountDeleted',
        message: 'event "accountDeleted" is in Loops but not in the catalog',
      },
    ]);
  });

  it('reads the properties of the catalog events only, and skips contact properties and lists it does not declare', async () => {
    writeCatalog({ events: { signup: { plan: 'string', seats: 'number', trialEndsAt: 'date' } } });

    expect((await cli(['check'])).code).toBe(0);

    expect(server.account.reads.map((read) => read.path)).toEqual([
      '/api/v1/event-patterns',
      `/api/v1/event-patterns/${seededId('event', 'signup')}`,
    ]);
  });

  // ES module catalogs (.mjs) load through Node's require(esm), which jest replaces: test/compat runs one.
  it('loads catalogs written in CommonJS, in TypeScript importing another TypeScript file, and as the module itself', async () => {
    writeFileSync(join(dir, 'catalog.cjs'), `module.exports = { catalog: ${JSON.stringify(pulledCatalog)} };`);
    writeFileSync(
      join(dir, 'lists.ts'),
      `export const lists = ${JSON.stringify(pulledCatalog.mailingLists)} as const;`,
    );
    writeFileSync(
      join(dir, 'app.catalog.ts'),
      [
        "import { defineLoopsEvents } from 'nestjs-loops';",
        "import { lists } from './lists.js';",
        `const events = ${JSON.stringify(pulledCatalog.events)} as const;`,
        `export const appCatalog = defineLoopsEvents({ events, contactProperties: ${JSON.stringify(pulledCatalog.contactProperties)}, mailingLists: lists });`,
      ].join('\n'),
    );

    // The module itself as the catalog: CommonJS's module.exports, TypeScript's export =.
    writeFileSync(join(dir, 'whole.cjs'), `module.exports = ${JSON.stringify(pulledCatalog)};`);
    writeFileSync(
      join(dir, 'whole.catalog.ts'),
      `import { defineLoopsEvents } from 'nestjs-loops';\nexport = defineLoopsEvents(${JSON.stringify(pulledCatalog)});\n`,
    );

    // Its events exported beside the catalog: still the catalog export that counts.
    writeFileSync(
      join(dir, 'split.catalog.ts'),
      [
        "import { defineLoopsEvents } from 'nestjs-loops';",
        `export const events = ${JSON.stringify(pulledCatalog.events)};`,
        `export const catalog = defineLoopsEvents({ events, contactProperties: ${JSON.stringify(pulledCatalog.contactProperties)}, mailingLists: ${JSON.stringify(pulledCatalog.mailingLists)} });`,
      ].join('\n'),
    );

    for (const file of ['catalog.cjs', 'app.catalog.ts', 'whole.cjs', 'whole.catalog.ts', 'split.catalog.ts']) {
      expect(await cli(['check', '--catalog', file])).toMatchObject({ code: 0, err: [] });
    }
  });
});

describe('errors', () => {
  it('exits 2 naming the variable when the key is rejected', async () => {
    const rejected = await cli(['pull'], { LOOPS_API_KEY: 'sk_wrong' });

    expect(rejected).toEqual({
      code: 2,
      out: [],
      err: [
        'nestjs-loops: Loops rejected the API key in LOOPS_API_KEY (401): check that it is a current key of the right team (Settings > API)',
      ],
    });
  });

  it.each([[[KEY, 'check']], [['check', KEY]], [['pull', KEY, '--json']], [['check', '--catalog', 'a.ts', KEY]]])(
    'exits 2 without echoing the key typed on the command line too: %j',
    async (args) => {
      const run = await cli(args);
      expect(run.code).toBe(2);
      expect([...run.out, ...run.err].join('\n')).toContain('[redacted]');
    },
  );

  it('cuts the key out of what a server echoes back', async () => {
    server.account.script(
      ...Array(3).fill({ status: 500, body: { success: false, message: `no team for key ${KEY}` } }),
    );

    const { code, err } = await cli(['pull']);

    expect(code).toBe(2);
    expect(err).toEqual(['nestjs-loops: Loops answered 500 to GET /event-patterns: no team for key [redacted]']);
  });

  it('retries a 429 after a second, and exits 2 with an explanation after three in a row', async () => {
    writeCatalog(pulledCatalog);
    server.account.script({ status: 429 }, { status: 429 });
    expect((await cli(['check'])).code).toBe(0);

    server.account.reads.length = 0;
    server.account.script({ status: 429 }, { status: 429 }, { status: 429 });
    const limited = await cli(['check']);

    expect(limited.code).toBe(2);
    expect(limited.err).toEqual([
      "nestjs-loops: Loops kept answering 429 Too Many Requests: the team's limit (10 requests per second, shared by all its keys) is used up by other clients right now; try again in a minute",
    ]);
    expect(server.account.reads.map((read) => read.status)).toEqual([429, 429, 429]);
  }, 20_000);

  it('exits 2 when Loops cannot be reached, after trying three times', async () => {
    const baseUrl = server.baseUrl;
    await server.close();

    const { code, err } = await cli(['pull'], { LOOPS_BASE_URL: baseUrl });

    expect(code).toBe(2);
    expect(err).toEqual([
      expect.stringMatching(
        /^nestjs-loops: could not reach Loops: No answer from http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
      ),
    ]);
  });

  it('retries a 5xx and a lost connection, and exits 2 on the third failure in a row, as JSON with --json', async () => {
    let resets = 0;
    const fetchTransport = new FetchLoopsTransport();
    // The first read's connection is lost, as when a reused keep-alive socket was just closed by the server.
    const resetOnce: LoopsTransport = {
      send: (request) => {
        if (resets++ > 0) return fetchTransport.send(request);
        return Promise.reject(new LoopsNetworkError('No answer from Loops: read ECONNRESET', 'ECONNRESET'));
      },
    };
    server.account.script(...Array(2).fill({ status: 502 }));
    expect((await cli(['pull'], {}, dir, resetOnce)).code).toBe(0);
    expect(resets).toBeGreaterThan(1);

    server.account.script(...Array(3).fill({ status: 503, body: { success: false, message: 'Down for maintenance' } }));
    const text = await cli(['pull']);
    server.account.script(...Array(3).fill({ status: 503 }));
    const json = await cli(['pull', '--json']);

    expect(text).toEqual({
      code: 2,
      out: [],
      err: ['nestjs-loops: Loops answered 503 to GET /event-patterns: Down for maintenance'],
    });
    expect(json.code).toBe(2);
    expect(json.out.map((line) => JSON.parse(line))).toEqual([
      { ok: false, error: { kind: 'api', message: 'Loops answered 503 to GET /event-patterns' } },
    ]);
  });

  it('does not retry another 4xx', async () => {
    server.account.script({ status: 400, body: { message: 'Invalid cursor' } });

    const { code, err } = await cli(['pull']);

    expect(code).toBe(2);
    expect(err).toEqual(['nestjs-loops: Loops answered 400 to GET /event-patterns: Invalid cursor']);
    expect(server.account.reads.map((read) => read.status)).toEqual([400]);
  });
});

describe('usage', () => {
  const cases: [string, string[], NodeJS.ProcessEnv, string][] = [
    ['no command', [], {}, 'Usage: nestjs-loops <command> [options]'],
    ['an unknown command', ['push'], {}, 'nestjs-loops: unknown command "push" (pull or check; nestjs-loops --help)'],
    ['an option of the other command', ['pull', '--catalog', 'x.ts'], {}, "nestjs-loops: Unknown option '--catalog'"],
    [
      'no key',
      ['pull'],
      { LOOPS_API_KEY: undefined },
      'nestjs-loops: LOOPS_API_KEY is not set: give the API key of the Loops team (Settings > API) in it',
    ],
    [
      'a key with a space',
      ['pull'],
      { LOOPS_API_KEY: 'sk a' },
      'nestjs-loops: LOOPS_API_KEY must not contain spaces, line breaks or non-ASCII characters',
    ],
    [
      'plain http to another host',
      ['pull'],
      { LOOPS_BASE_URL: 'http://loops.example.com/api/v1' },
      'nestjs-loops: LOOPS_BASE_URL plain http:// is only allowed for loopback hosts; use https:// so the API key is not sent in clear text',
    ],
    [
      'a missing catalog',
      ['check'],
      {},
      'nestjs-loops: src/loops.catalog.ts: no such file (give its path with --catalog, or write it with `nestjs-loops pull`)',
    ],
  ];

  it.each(cases)('exits 2 on %s, before any request', async (_, args, env, message) => {
    const { code, err } = await cli(args, env);

    expect(code).toBe(2);
    expect(err[0].startsWith(message)).toBe(true);
    expect(server.requests).toEqual([]);
  });

  it.each([
    [
      'a property type Loops does not have',
      { events: { signup: { plan: 'text' } } },
      "nestjs-loops: src/loops.catalog.ts.events.signup.plan must be one of 'string', 'string?', 'number', 'number?', 'boolean', 'boolean?', 'date', 'date?'",
    ],
    [
      'an event name with a colon',
      { events: { 'a:b': {} } },
      'nestjs-loops: src/loops.catalog.ts.events.a:b is not a valid event name: it must be non-empty, without ":"',
    ],
    [
      'a reserved contact property',
      { events: {}, contactProperties: { listId: 'string' } },
      'nestjs-loops: src/loops.catalog.ts.contactProperties.listId is not allowed as a property name',
    ],
    [
      'an unknown field',
      { events: {}, mailingList: {} },
      'nestjs-loops: src/loops.catalog.ts.mailingList is not a catalog field (events, contactProperties, mailingLists)',
    ],
  ])('exits 2 on a catalog with %s, naming the path and the rule', async (_, catalog, message) => {
    writeCatalog(catalog);

    expect(await cli(['check'])).toEqual({ code: 2, out: [], err: [message] });
    expect(server.requests).toEqual([]);
  });

  it('exits 2 on a file that exports no catalog, or imports from nestjs-loops what a catalog has no use for', async () => {
    writeFileSync(join(dir, 'none.ts'), 'export const a = 1;\nexport const b = 2;\n');
    writeFileSync(
      join(dir, 'module.ts'),
      "import { LoopsModule } from 'nestjs-loops';\nexport const catalog = { events: {}, m: LoopsModule };\n",
    );

    const none = await cli(['check', '--catalog', 'none.ts']);
    const module = await cli(['check', '--catalog', 'module.ts']);

    expect(none.err).toEqual([
      'nestjs-loops: none.ts exports no catalog: export it as `catalog` (export const catalog = defineLoopsEvents({ ... }))',
    ]);
    expect(module.err).toEqual([
      'nestjs-loops: a catalog file can import only defineLoopsEvents (and types) from nestjs-loops at run time, not LoopsModule',
    ]);
  });

  it('exits 2 on a TypeScript catalog in a project without typescript', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'nestjs-loops-cli-'));
    try {
      writeFileSync(join(elsewhere, 'catalog.ts'), 'export const catalog = { events: {} };');

      const { code, err } = await cli(['check', '--catalog', 'catalog.ts'], {}, elsewhere);

      expect(code).toBe(2);
      expect(err).toEqual([
        'nestjs-loops: reading a TypeScript catalog needs the typescript package in the project (npm install -D typescript); or give the compiled .js file with --catalog',
      ]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('prints the help with --help and exits 0', async () => {
    for (const args of [['--help'], ['pull', '--help'], ['check', '-h']]) {
      const { code, out } = await cli(args);
      expect(code).toBe(0);
      expect(out.join('\n')).toContain(
        'Exit codes: 0 no drift, 1 drift found by check, 2 usage, file, auth, network or API error.',
      );
    }
  });
});

describe('FetchLoopsTransport', () => {
  it('sends a body as the JSON text it is given, as every LoopsTransport does', async () => {
    const body = JSON.stringify({ eventName: 'signup', email: 'ada@example.com' });
    const response = await new FetchLoopsTransport().send({
      method: 'POST',
      url: `${server.baseUrl}/events/send`,
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body,
      signal: new AbortController().signal,
    });
    expect(response).toMatchObject({ status: 200, body: { success: true } });
    expect(server.requests.map((recorded) => recorded.rawBody)).toEqual([body]);
    expect(server.accepted.map((accepted) => accepted.body)).toEqual([JSON.parse(body)]);
  });
});
