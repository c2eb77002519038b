/**
 * Part 7, what telemetry costs: the library as it was before telemetry (built here from git), this build without
 * @opentelemetry/api, with the API but no SDK, and with the SDK registered, each in a fresh process per measurement
 * (`children/telemetry-cost.ts`), alternating round by round, against the Loops-compatible server in its own process.
 */
import { join } from 'node:path';
import {
  TELEMETRY_CONTENDERS,
  type TelemetryContender,
  type TelemetryCostInput,
  type TelemetryCostOutput,
} from '../children/telemetry-cost';
import { buildFromGit, git, REPO_ROOT } from '../support/build-from-git';
import { LoopsServerProcess, runTask } from '../support/processes';
import { median, rotate, round } from '../support/stats';

export interface TelemetryCostSettings {
  rounds: number;
  events: number;
  concurrency: number;
  warmupEvents: number;
}

export interface TelemetryCostResult {
  settings: TelemetryCostSettings;
  /** The commit built as `before telemetry`. */
  baselineCommit: string;
  /** Medians over the rounds. */
  awaitedCpuMicrosPerEvent: Record<TelemetryContender, number>;
  backgroundCpuMicrosPerEvent: Record<TelemetryContender, number>;
  awaitedPerSecond: Record<TelemetryContender, number>;
  /** Median over the rounds of each contender's CPU per event divided by `before telemetry`'s in the same round. */
  awaitedRatio: Record<TelemetryContender, number>;
  backgroundRatio: Record<TelemetryContender, number>;
  rounds: { order: TelemetryContender[]; results: Record<TelemetryContender, TelemetryCostOutput> }[];
  failures: number;
}

const BASELINE_DIR = join(REPO_ROOT, 'bench', 'dist', 'baseline');

/**
 * The package as it was just before telemetry was added (the parent of the first commit with
 * lib/telemetry/loops-telemetry.ts), or `BENCH_TELEMETRY_BASELINE` (any commit), built into bench/dist/baseline.
 */
function buildBaseline(): string {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'lib/telemetry/loops-telemetry.ts').split('\n');
  return buildFromGit(process.env.BENCH_TELEMETRY_BASELINE ?? `${added.at(-1)}^`, BASELINE_DIR);
}

export async function measureTelemetryCost(settings: TelemetryCostSettings): Promise<TelemetryCostResult> {
  const baselineCommit = buildBaseline();
  const server = await LoopsServerProcess.start({ rateLimit: 0 });
  try {
    const rounds: TelemetryCostResult['rounds'] = [];
    for (let r = 0; r < settings.rounds; r++) {
      const order = rotate(TELEMETRY_CONTENDERS, r);
      const results = {} as Record<TelemetryContender, TelemetryCostOutput>;
      for (const contender of order) {
        const output = await runTask<TelemetryCostInput, TelemetryCostOutput>(
          'telemetry-cost',
          { contender, baseUrl: server.baseUrl, baselineDir: BASELINE_DIR, ...settings },
          { timeoutMs: 120_000 },
        );
        const expected = contender === 'API, no SDK' || contender === 'API + SDK';
        if (output.otelApiLoaded !== expected) {
          throw new Error(`"${contender}" ${output.otelApiLoaded ? 'loaded' : 'did not load'} @opentelemetry/api`);
        }
        results[contender] = output;
      }
      rounds.push({ order, results });
    }
    const per = (pick: (output: TelemetryCostOutput) => number, digits: number) =>
      Object.fromEntries(
        TELEMETRY_CONTENDERS.map((contender) => [
          contender,
          round(median(rounds.map((r) => pick(r.results[contender]))), digits),
        ]),
      ) as Record<TelemetryContender, number>;
    const ratio = (pick: (output: TelemetryCostOutput) => number) =>
      Object.fromEntries(
        TELEMETRY_CONTENDERS.map((contender) => [
          contender,
          round(median(rounds.map((r) => pick(r.results[contender]) / pick(r.results['before telemetry']))), 3),
        ]),
      ) as Record<TelemetryContender, number>;
    return {
      settings,
      baselineCommit,
      awaitedCpuMicrosPerEvent: per((o) => o.awaitedCpuMicrosPerEvent, 1),
      backgroundCpuMicrosPerEvent: per((o) => o.backgroundCpuMicrosPerEvent, 1),
      awaitedPerSecond: per((o) => o.awaitedPerSecond, 0),
      awaitedRatio: ratio((o) => o.awaitedCpuMicrosPerEvent),
      backgroundRatio: ratio((o) => o.backgroundCpuMicrosPerEvent),
      rounds,
      failures: rounds.reduce(
        (sum, r) => sum + Object.values(r.results).reduce((total, output) => total + output.failures, 0),
        0,
      ),
    };
  } finally {
    await server.stop();
  }
}
