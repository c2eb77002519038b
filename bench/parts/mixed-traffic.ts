/**
 * Part 8, mixed traffic: what a request costs when events, transactional emails and contact updates share the
 * engine, beside events alone in this build and in the build before they shared it (built here from git), each in a
 * fresh process per measurement (`children/mixed-traffic.ts`), alternating round by round; then a mixed burst under
 * the team's limit (`children/mixed-rate-limited.ts`), through one client and through nestjs-loops beside the SDK.
 */
import { join } from 'node:path';
import {
  MIXED_CONTENDERS,
  type MixedContender,
  type MixedTrafficInput,
  type MixedTrafficOutput,
} from '../children/mixed-traffic';
import type { MixedRateLimitedInput, MixedRateLimitedOutput } from '../children/mixed-rate-limited';
import { buildFromGit, git, REPO_ROOT } from '../support/build-from-git';
import { LoopsServerProcess, runTask } from '../support/processes';
import { median, rotate, round } from '../support/stats';

export interface MixedTrafficSettings {
  rounds: number;
  requests: number;
  concurrency: number;
  warmupRequests: number;
  /** The burst: this many of each kind, against a server limited to `requestsPerSecond`. */
  burstEach: number;
  requestsPerSecond: number;
}

export interface MixedBurstFigures {
  wallMs: number;
  idealMs: number;
  wallToIdeal: number;
  rateLimited: number;
  /** Events and emails enqueued that the server never accepted. */
  lost: number;
  /**
   * Accepted keys the client never enqueued: a second delivery of an event. The server answers 409 to a key it
   * already has, so a copy can only get in under another key; keys accepted twice would always be 0.
   */
  duplicated: number;
  /** Contacts the server holds at the end, of `burstEach` updated. */
  contacts: number;
  contactFailures: number;
  maxInAnyWindow: number;
  outcomes: MixedRateLimitedOutput['outcomes'];
  errors: Record<string, number>;
}

export interface MixedTrafficResult {
  settings: MixedTrafficSettings;
  /** The commit built as `events only, before`. */
  baselineCommit: string;
  /** Medians over the rounds. */
  awaitedCpuMicrosPerRequest: Record<MixedContender, number>;
  backgroundCpuMicrosPerRequest: Record<MixedContender, number>;
  awaitedPerSecond: Record<MixedContender, number>;
  /** Median over the rounds of each contender's figure divided by `events only`'s in the same round. */
  awaitedRatio: Record<MixedContender, number>;
  backgroundRatio: Record<MixedContender, number>;
  rounds: { order: MixedContender[]; results: Record<MixedContender, MixedTrafficOutput> }[];
  failures: number;
  burst: Record<MixedRateLimitedInput['mode'], MixedBurstFigures>;
}

const BASELINE_DIR = join(REPO_ROOT, 'bench', 'dist', 'baseline-mixed');

/**
 * The package before transactional emails and contacts shared the engine: the parent of the first commit with
 * lib/delivery/prepared-transactional.ts, or `BENCH_MIXED_BASELINE` (any commit).
 */
function buildBaseline(): string {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'lib/delivery/prepared-transactional.ts').split(
    '\n',
  );
  return buildFromGit(process.env.BENCH_MIXED_BASELINE ?? `${added.at(-1)}^`, BASELINE_DIR);
}

export async function measureMixedTraffic(settings: MixedTrafficSettings): Promise<MixedTrafficResult> {
  const baselineCommit = buildBaseline();
  const server = await LoopsServerProcess.start({ rateLimit: 0 });
  const rounds: MixedTrafficResult['rounds'] = [];
  try {
    for (let r = 0; r < settings.rounds; r++) {
      const order = rotate(MIXED_CONTENDERS, r);
      const results = {} as Record<MixedContender, MixedTrafficOutput>;
      for (const contender of order) {
        results[contender] = await runTask<MixedTrafficInput, MixedTrafficOutput>(
          'mixed-traffic',
          { contender, baseUrl: server.baseUrl, baselineDir: BASELINE_DIR, ...settings },
          { timeoutMs: 120_000 },
        );
      }
      rounds.push({ order, results });
    }
  } finally {
    await server.stop();
  }
  const per = (pick: (output: MixedTrafficOutput) => number, digits: number) =>
    Object.fromEntries(
      MIXED_CONTENDERS.map((contender) => [
        contender,
        round(median(rounds.map((r) => pick(r.results[contender]))), digits),
      ]),
    ) as Record<MixedContender, number>;
  const ratio = (pick: (output: MixedTrafficOutput) => number) =>
    Object.fromEntries(
      MIXED_CONTENDERS.map((contender) => [
        contender,
        round(median(rounds.map((r) => pick(r.results[contender]) / pick(r.results['events only']))), 3),
      ]),
    ) as Record<MixedContender, number>;
  return {
    settings,
    baselineCommit,
    awaitedCpuMicrosPerRequest: per((o) => o.awaitedCpuMicrosPerRequest, 1),
    backgroundCpuMicrosPerRequest: per((o) => o.backgroundCpuMicrosPerRequest, 1),
    awaitedPerSecond: per((o) => o.awaitedPerSecond, 0),
    awaitedRatio: ratio((o) => o.awaitedCpuMicrosPerRequest),
    backgroundRatio: ratio((o) => o.backgroundCpuMicrosPerRequest),
    rounds,
    failures: rounds.reduce(
      (sum, r) => sum + Object.values(r.results).reduce((total, output) => total + output.failures, 0),
      0,
    ),
    burst: {
      'one client': await measureBurst('one client', settings),
      'two clients': await measureBurst('two clients', settings),
    },
  };
}

async function measureBurst(
  mode: MixedRateLimitedInput['mode'],
  settings: MixedTrafficSettings,
): Promise<MixedBurstFigures> {
  const { burstEach: each, requestsPerSecond } = settings;
  const idealMs = ((3 * each) / requestsPerSecond) * 1000;
  const server = await LoopsServerProcess.start({ rateLimit: requestsPerSecond });
  try {
    const output = await runTask<MixedRateLimitedInput, MixedRateLimitedOutput>(
      'mixed-rate-limited',
      { mode, url: server.url, baseUrl: server.baseUrl, each, requestsPerSecond },
      { timeoutMs: idealMs * 4 + 60_000 },
    );
    const { keys: acceptedKeys } = await server.acceptedKeys();
    const accepted = new Set(acceptedKeys);
    const enqueued = new Set(output.keys);
    return {
      wallMs: round(output.wallMs, 0),
      idealMs,
      wallToIdeal: round(output.wallMs / idealMs, 3),
      rateLimited: (await server.stats()).rateLimited,
      lost: output.keys.filter((key) => !accepted.has(key)).length,
      duplicated: [...accepted].filter((key) => !enqueued.has(key)).length,
      contacts: await server.contactCount(),
      contactFailures: output.contactFailures,
      maxInAnyWindow: await server.maxInAnyWindow(1_000, true),
      outcomes: output.outcomes,
      errors: output.errors,
    };
  } finally {
    await server.stop();
  }
}
