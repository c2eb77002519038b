/**
 * The `nestjs-loops` bin as a user runs it: `npx nestjs-loops ...` in an app that installed the packed tarball,
 * against the project's Loops-compatible server. Called by compat.spec.ts for each scenario.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoopsCompatibleServer } from '../support/loops-server';

/** What compat.spec.ts's `run` resolves to. */
export interface CliRunResult {
  command: string;
  code: number | null;
  stdout: string;
  output: string;
}

/** Runs a command in the app's directory: compat.spec.ts's `run`, bound to the scenario. */
export type RunInApp = (command: string, args: string[]) => Promise<CliRunResult>;

const KEY = 'sk_compat_cli_0123456789';

/** A consumer of the pulled catalog: what compiles, and a typo that must not. */
const CONSUMER = `import { LoopsEventsService } from 'nestjs-loops';
import { MailingLists } from './loops.catalog.js';

export function send(loops: LoopsEventsService): void {
  loops.enqueueEvent({
    eventName: 'signup',
    email: 'ada@example.com',
    eventProperties: { plan: 'pro', trialEndsAt: new Date() },
    contactProperties: { plan: 'pro', firstName: 'Ada' },
    mailingLists: { [MailingLists.productUpdates]: true },
  });
  // @ts-expect-error an event the account does not have
  loops.enqueueEvent({ eventName: 'signUp', email: 'ada@example.com' });
}
`;

export interface CliCheckOutcome {
  pull: CliRunResult;
  check: CliRunResult;
  typeCheck: CliRunResult;
  drift: CliRunResult;
  esmCatalog: CliRunResult;
  wrongKey: CliRunResult;
  catalogSource: string;
}

/**
 * pull, then check (no drift), then tsc on a consumer of the pulled file with the app's own TypeScript, then
 * check again after an event left the account (drift), check of an ES module catalog (.mjs, through Node's
 * require(esm)), and a wrong key.
 */
export async function runCliChecks(dir: string, run: RunInApp, tscFlags: string[]): Promise<CliCheckOutcome> {
  const server = await LoopsCompatibleServer.start({ apiKey: KEY, teamName: 'Compat' });
  const npx = (args: string[], key = KEY) =>
    run('env', [`LOOPS_API_KEY=${key}`, `LOOPS_BASE_URL=${server.baseUrl}`, 'npx', '--no', 'nestjs-loops', ...args]);
  try {
    server.account.seed({
      eventPatterns: [
        { eventName: 'signup', properties: { plan: 'string', trialEndsAt: 'date' } },
        { eventName: 'accountDeleted' },
      ],
      contactProperties: [{ key: 'plan', type: 'string' }],
      mailingLists: [{ id: 'cl_news', name: 'Product updates' }],
    });
    const pull = await npx(['pull']);
    const check = await npx(['check']);
    writeFileSync(join(dir, 'src/cli-consumer.ts'), CONSUMER);
    const typeCheck = await run('node', [
      'node_modules/typescript/bin/tsc',
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--types',
      'node',
      ...tscFlags,
      'src/loops.catalog.ts',
      'src/cli-consumer.ts',
    ]);
    writeFileSync(
      join(dir, 'catalog.mjs'),
      "export const catalog = { events: { signup: { plan: 'string', trialEndsAt: 'date' } } };\n",
    );
    const esmCatalog = await npx(['check', '--catalog', 'catalog.mjs', '--json']);
    server.account.seed({
      eventPatterns: [{ eventName: 'signup', properties: { plan: 'string', trialEndsAt: 'date' } }],
    });
    const drift = await npx(['check']);
    const wrongKey = await npx(['pull', '--out', 'elsewhere.ts'], 'sk_wrong');
    return {
      pull,
      check,
      typeCheck,
      drift,
      esmCatalog,
      wrongKey,
      catalogSource: readFileSync(join(dir, 'src/loops.catalog.ts'), 'utf8'),
    };
  } finally {
    await server.close();
  }
}

/** What each run must have done; the key must show nowhere. */
export function expectCliChecks(outcome: CliCheckOutcome): void {
  const describe = (result: CliRunResult) => `$ ${result.command}\n(exit ${result.code})\n${result.output}`;
  for (const result of [outcome.pull, outcome.check, outcome.typeCheck]) {
    if (result.code !== 0) throw new Error(describe(result));
  }
  expect(outcome.pull.stdout).toContain('Wrote src/loops.catalog.ts from the Loops account of team "Compat"');
  expect(outcome.check.stdout).toBe('src/loops.catalog.ts matches the Loops account of team "Compat".\n');
  expect(outcome.catalogSource).toContain("  productUpdates: 'cl_news',");
  expect(JSON.parse(outcome.esmCatalog.stdout)).toMatchObject({ ok: true, catalog: 'catalog.mjs', drift: [] });
  expect(outcome.esmCatalog.code).toBe(0);
  expect(outcome.drift.code).toBe(1);
  expect(outcome.drift.stdout).toContain(
    'drift: event "accountDeleted" is in the catalog but not in Loops: sending it would create a new event silently',
  );
  expect(outcome.wrongKey.code).toBe(2);
  expect(outcome.wrongKey.output).toContain('nestjs-loops: Loops rejected the API key in LOOPS_API_KEY (401)');
  const everything = [outcome.pull, outcome.check, outcome.drift, outcome.esmCatalog, outcome.wrongKey]
    .map((result) => result.output.replace(result.command, ''))
    .join('\n');
  expect(everything + outcome.catalogSource).not.toContain(KEY);
}
