/**
 * `npm run bench`: builds the package, compiles bench/ to bench/dist and runs this file, which loads nestjs-loops as
 * an app does (`require('nestjs-loops')`, the built dist/ through the package's own name and `exports`).
 *
 * Topology. This process only orchestrates and, in part 1, generates the load (autocannon). Everything measured runs
 * in child processes forked from bench/dist/bench/children/, over IPC:
 * - the local Loops-compatible server (`children/loops-server.ts`, test/support/loops-server/main.ts's CLI), one per
 *   configuration, always in its own process, on 127.0.0.1;
 * - part 1: the Nest app under load (`children/interceptor-app.ts`), apart from autocannon;
 * - parts 2 to 5: one fresh process per measurement, so that heaps and JIT state do not carry over;
 * - part 6: a throwaway `redis-server` (test/support/redis-server.ts) and one process per app instance;
 * - part 7: one fresh process per measurement, the library loaded four ways, one of them built from git;
 * - part 8: one fresh process per measurement, events alone (this build and one built from git) and mixed traffic;
 *   then a mixed burst against a rate-limited server, one process per client setup.
 *
 * The machine is shared and noisy: every comparison runs its contenders alternately within one run, and reports the
 * median of the per-round ratios (part 1: their geometric mean with a 95% interval). `BENCH_QUICK=1` shortens every
 * part (for trying the harness, not for figures); `BENCH_CPU_PROF=<dir>` writes CPU profiles of the app and task
 * children.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  INTERCEPTOR_CONFIGS,
  type InterceptorConfigResult,
  measureInterceptorConfig,
  ROUTE_LABELS,
  type RouteFigures,
} from './parts/interceptor-overhead';
import { measureBullMqDelivery } from './parts/bullmq-delivery';
import { measureMemory } from './parts/memory';
import { measureMixedTraffic } from './parts/mixed-traffic';
import { measureRateLimitedDelivery } from './parts/rate-limited-delivery';
import { measureSendThroughput } from './parts/send-throughput';
import { measureTelemetryCost } from './parts/telemetry-cost';
import { measureValidationCost } from './parts/validation-cost';
import { formatEstimate, formatNumber, table, verdict } from './support/report';
import { round } from './support/stats';

const QUICK = process.env.BENCH_QUICK === '1';
/** `BENCH_PARTS=1,4` runs only those parts (for working on one; the figures quoted come from a full run). */
const PARTS = process.env.BENCH_PARTS?.split(',').map((part) => part.trim());
const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The commit measured, and whether lib/ had uncommitted changes (the build measures the working tree). */
function gitState(): { commit: string; libHasUncommittedChanges: boolean } | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', 'HEAD'), libHasUncommittedChanges: git('status', '--porcelain', 'lib') !== '' };
  } catch {
    return undefined;
  }
}

const SETTINGS = {
  interceptor: QUICK
    ? { connections: 32, warmupSeconds: 1, rounds: 3, roundSeconds: 1 }
    : { connections: 32, warmupSeconds: 3, rounds: 24, roundSeconds: 1 },
  throughput: QUICK
    ? { events: 1000, concurrency: 32, rounds: 2, budgetSeconds: 10, warmupEvents: 200 }
    : { events: 5000, concurrency: 32, rounds: 5, budgetSeconds: 60, warmupEvents: 500 },
  rateLimited: QUICK ? { requestsPerSecond: 50, events: 100 } : { requestsPerSecond: 50, events: 500 },
  memory: { maxPending: 50_000, warmupEvents: 1_000 },
  validation: QUICK ? { batch: 1000, rounds: 3, warmupBatches: 1 } : { batch: 2000, rounds: 15, warmupBatches: 3 },
  bullmq: QUICK
    ? { requestsPerSecond: 50, events: 100, instances: 2, concurrency: 8 }
    : { requestsPerSecond: 50, events: 500, instances: 2, concurrency: 8 },
  telemetry: QUICK
    ? { rounds: 2, events: 500, concurrency: 32, warmupEvents: 200 }
    : { rounds: 5, events: 2000, concurrency: 32, warmupEvents: 500 },
  mixed: QUICK
    ? { rounds: 2, requests: 600, concurrency: 32, warmupRequests: 150, burstEach: 30, requestsPerSecond: 50 }
    : { rounds: 5, requests: 3000, concurrency: 32, warmupRequests: 600, burstEach: 100, requestsPerSecond: 50 },
};

interface Target {
  part: string;
  name: string;
  value: string;
  target: string;
  met: boolean;
  /** Not measured (e.g. redis-server missing): neither met nor missed. */
  skipped?: boolean;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** The error of a part that `BENCH_PARTS` left out: reported as not run, neither failed nor its targets missed. */
const NOT_RUN = 'not run (BENCH_PARTS)';

/** The line a part's section shows when it has no figures. */
function failureLine(outcome: { ok: false; error: string }): string {
  return outcome.error === NOT_RUN ? NOT_RUN : `FAILED: ${outcome.error.split('\n')[0]}`;
}

async function attempt<T>(label: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  if (PARTS && !PARTS.includes(label.split('.')[0])) return { ok: false, error: NOT_RUN };
  const start = Date.now();
  process.stderr.write(`[bench] ${label}…\n`);
  try {
    const value = await fn();
    process.stderr.write(`[bench] ${label}: done in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
    return { ok: true, value };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`[bench] ${label} FAILED: ${message}\n`);
    return { ok: false, error: message };
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const started = Date.now();
  const loadAtStart = loadavg();

  const interceptor: Outcome<InterceptorConfigResult>[] = [];
  for (const config of INTERCEPTOR_CONFIGS) {
    interceptor.push(
      await attempt(`1. interceptor overhead, ${config.name}`, () =>
        measureInterceptorConfig(config, SETTINGS.interceptor),
      ),
    );
  }
  const throughput = await attempt('2. send throughput', () => measureSendThroughput(SETTINGS.throughput));
  const rateLimited = await attempt('3. rate-limited delivery', () => measureRateLimitedDelivery(SETTINGS.rateLimited));
  const memory = await attempt('4. memory', () => measureMemory(SETTINGS.memory));
  const validation = await attempt('5. validation cost', () => measureValidationCost(SETTINGS.validation));
  const bullmq = await attempt('6. BullMQ delivery, two instances', () => measureBullMqDelivery(SETTINGS.bullmq));
  const telemetry = await attempt('7. telemetry cost', () => measureTelemetryCost(SETTINGS.telemetry));
  const mixed = await attempt('8. mixed traffic', () => measureMixedTraffic(SETTINGS.mixed));

  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    totalMemBytes: totalmem(),
    platform: `${platform()} ${release()}`,
    loadAverageAtStart: loadAtStart.map((load) => round(load)),
    loadAverageAtEnd: loadavg().map((load) => round(load)),
  };
  const targets: Target[] = [];
  const sections: string[] = [];
  const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  sections.push(
    `## nestjs-loops benchmarks\n\n${startedAt.toISOString()} · Node ${process.version} · ${machine.cpuModel} · ` +
      `${machine.cores} cores · ${gib(machine.totalMemBytes)} · load average at start ` +
      `${machine.loadAverageAtStart.join(' / ')}${QUICK ? ' · QUICK MODE (not for figures)' : ''}`,
  );

  // 1. Interceptor overhead
  {
    const s = SETTINGS.interceptor;
    const rows: (string | number)[][] = [];
    const notes: string[] = [];
    const perRound = (ratios: number[]): string => ratios.map((ratio) => ratio.toFixed(2)).join(' ');
    interceptor.forEach((outcome, index) => {
      const name = INTERCEPTOR_CONFIGS[index].name;
      if (!outcome.ok) {
        rows.push([name, outcome.error === NOT_RUN ? NOT_RUN : 'FAILED', '', '', '', '', '', '', '', '']);
        if (index === 0)
          targets.push({ part: '1', name: "B/A' req/s", value: 'failed', target: '>= 0.95', met: false });
        return;
      }
      const r = outcome.value;
      INTERCEPTOR_CONFIGS[index].routes.forEach((route, i) => {
        const f = r.routes[route] as RouteFigures;
        const ratio =
          route === 'decorated'
            ? [
                `B/A ${formatEstimate(r.ratio)} (+${r.cpuMicrosAdded.toFixed(1)} µs CPU)`,
                perRound(r.rounds.map((x) => x.ratio)),
              ]
            : route === 'noop' && r.noopRatio && r.toNoopRatio
              ? [
                  `A'/A ${formatEstimate(r.noopRatio)}; B/A' ${formatEstimate(r.toNoopRatio)}`,
                  perRound(r.rounds.map((x) => x.toNoopRatio as number)),
                ]
              : route === 'operator' && r.toOperatorRatio
                ? [
                    `B/A'' ${formatEstimate(r.toOperatorRatio)}`,
                    perRound(r.rounds.map((x) => x.toOperatorRatio as number)),
                  ]
                : ['', ''];
        rows.push([
          i === 0 ? name : '',
          ROUTE_LABELS[route],
          formatNumber(f.reqPerSec),
          f.p50Ms,
          f.p99Ms,
          f.errors,
          f.cpuMicrosPerRequest.toFixed(1),
          f.gcMicrosPerRequest.toFixed(1),
          ...ratio,
        ]);
      });
      notes.push(
        `${name}: ${r.decoratedRequests} decorated requests sent; at the end ${r.app.pending} events pending, ` +
          `${r.app.sent} sent, ${r.app.failed} failed, ${r.app.dropped} dropped; largest backlog after a B load ` +
          `${r.maxBacklog}; ${r.server.rateLimited} 429s; app heap ${(r.app.heapUsedBytes / 2 ** 20).toFixed(0)} MiB` +
          `${INTERCEPTOR_CONFIGS[index].drainBetweenRuns ? '; the queue was drained before each load' : ''}.`,
      );
      if (index === 0 && r.toNoopRatio) {
        // Judged on the estimate, as every target is; the interval says whether this run can tell.
        targets.push({
          part: '1',
          name: `B/A' req/s (decorated / no-op interceptor), ${name}`,
          value: formatEstimate(r.toNoopRatio),
          target: '>= 0.95',
          met: r.toNoopRatio.estimate >= 0.95,
        });
      }
    });
    sections.push(
      `### 1. Interceptor overhead (Express; autocannon ${s.connections} connections; ${s.rounds} rounds × ` +
        `${s.roundSeconds} s per route, rotating, after ${s.warmupSeconds} s warm-up each; medians; ratios: ` +
        `geometric mean of the rounds' ratios (95% interval))\n\n` +
        table(
          [
            'configuration',
            'route',
            'req/s',
            'p50 ms',
            'p99 ms',
            'errors',
            'app CPU µs/req',
            'of which GC',
            'ratio to A',
            'per round',
          ],
          rows,
        ) +
        `\n\n${notes.join('\n')}`,
    );
  }

  // 2. Send throughput
  if (throughput.ok) {
    const t = throughput.value;
    const s = t.settings;
    const rows = Object.keys(t.eventsPerSecond).map((name) => {
      const contender = name as keyof typeof t.eventsPerSecond;
      return [
        name,
        formatNumber(t.eventsPerSecond[contender]),
        t.ratioToSdk[contender].toFixed(3),
        t.cpuMicrosPerEvent[contender].toFixed(1),
        t.rounds.map((r) => formatNumber(r.eventsPerSecond[contender])).join(' '),
        t.failures[contender],
      ];
    });
    targets.push({
      part: '2',
      name: 'nestjs-loops sendEvent vs the loops SDK',
      value: `${t.ratioToSdk['nestjs-loops'].toFixed(3)}×`,
      target: '>= 1.0×',
      met: t.ratioToSdk['nestjs-loops'] >= 1,
    });
    sections.push(
      `### 2. Send throughput (${s.events} awaited sends at concurrency ${s.concurrency}, no rate limit; ` +
        `${t.rounds.length} rounds, rotating order; medians)\n\n` +
        table(['contender', 'events/s', '× SDK', 'client CPU µs/event', 'events/s per round', 'failures'], rows) +
        (t.firstError ? `\n\nfirst failure: ${t.firstError}` : ''),
    );
  } else {
    targets.push({ part: '2', name: 'nestjs-loops vs SDK', value: 'failed', target: '>= 1.0×', met: false });
    sections.push(`### 2. Send throughput\n\n${failureLine(throughput)}`);
  }

  // 3. Rate-limited delivery
  if (rateLimited.ok) {
    const { settings: s, library: l, sdk } = rateLimited.value;
    targets.push(
      { part: '3', name: 'lost', value: String(l.lost), target: '0', met: l.lost === 0 },
      {
        part: '3',
        name: 'duplicated (accepted under another key / re-sent after accepted)',
        value: `${l.duplicated} / ${l.resentAfterAccepted}`,
        target: '0',
        met: l.duplicated === 0 && l.resentAfterAccepted === 0,
      },
      { part: '3', name: '429s received', value: String(l.rateLimited), target: '0', met: l.rateLimited === 0 },
      {
        part: '3',
        name: 'wall / ideal',
        value: l.wallToIdeal.toFixed(3),
        target: '<= 1.10',
        met: l.wallToIdeal <= 1.1,
      },
    );
    sections.push(
      `### 3. Rate-limited delivery (server limited to R = ${s.requestsPerSecond}/s; ${s.events} events at once)\n\n` +
        table(
          ['client', 'wall s', 'ideal s', 'wall/ideal', '429s', 'lost', 'duplicated', 'failed'],
          [
            [
              `nestjs-loops (enqueueEvent, rateLimit ${s.requestsPerSecond}/s)`,
              (l.wallMs / 1000).toFixed(2),
              (l.idealMs / 1000).toFixed(2),
              l.wallToIdeal.toFixed(3),
              l.rateLimited,
              l.lost,
              `${l.duplicated} (+${l.resentAfterAccepted} re-sent)`,
              l.outcomes.failed,
            ],
            [
              'loops SDK, naive Promise.all',
              (sdk.wallMs / 1000).toFixed(2),
              '',
              '',
              sdk.rateLimited,
              `${s.events - sdk.accepted} not accepted`,
              '',
              `${sdk.failed} of ${s.events}`,
            ],
          ],
        ),
    );
  } else {
    targets.push({ part: '3', name: 'rate-limited delivery', value: 'failed', target: '', met: false });
    sections.push(`### 3. Rate-limited delivery\n\n${failureLine(rateLimited)}`);
  }

  // 4. Memory
  if (memory.ok) {
    const m = memory.value;
    targets.push({
      part: '4',
      name: 'heap bytes per queued event',
      value: formatNumber(m.heapBytesPerEvent),
      target: '<= 400',
      met: m.heapBytesPerEvent <= 400,
    });
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    sections.push(
      `### 4. Memory (${m.settings.maxPending} events pending against a stalled server; growth over the last ` +
        `${m.measuredEvents}, after gc)\n\n` +
        table(
          ['', 'before MiB', 'after MiB', 'growth MiB', 'bytes/event'],
          [
            [
              'heapUsed',
              mib(m.before.heapUsed),
              mib(m.after.heapUsed),
              mib(m.after.heapUsed - m.before.heapUsed),
              formatNumber(m.heapBytesPerEvent),
            ],
            [
              'rss',
              mib(m.before.rss),
              mib(m.after.rss),
              mib(m.after.rss - m.before.rss),
              formatNumber(m.rssBytesPerEvent),
            ],
          ],
        ) +
        `\n\n${m.pendingAtEnd} pending; one more enqueueEvent threw ${m.overflowError}; ` +
        `the event's JSON body is ${m.wireBodyBytes} bytes.`,
    );
  } else {
    sections.push(`### 4. Memory\n\n${failureLine(memory)}`);
  }

  // 5. Validation cost
  if (validation.ok) {
    const v = validation.value;
    sections.push(
      `### 5. Validation cost (typical event; ${v.settings.rounds} batches of ${v.settings.batch} per method, ` +
        `alternating; medians)\n\n` +
        table(
          ['method', 'µs/event', 'events/s'],
          Object.keys(v.microsPerEvent).map((name) => {
            const method = name as keyof typeof v.microsPerEvent;
            return [name, v.microsPerEvent[method].toFixed(2), formatNumber(v.eventsPerSecond[method])];
          }),
        ) +
        '\n\nenqueueEvent (plain object) = key + plainToInstance (primitive fields) + the Loops rules + body + queue push; ' +
        'the SendEventDto row skips plainToInstance; validateSync is class-validator running the same rules through ' +
        "SendEventDto's decorators, as ValidationPipe does.",
    );
  } else {
    sections.push(`### 5. Validation cost\n\n${failureLine(validation)}`);
  }

  // 6. BullMQ delivery, several instances
  const b = bullmq.ok ? bullmq.value : undefined;
  if (b && 'skipped' in b) {
    const { settings: s, skipped } = b;
    targets.push({
      part: '6',
      name: 'BullMQ delivery',
      value: `skipped: ${skipped}`,
      target: '',
      met: true,
      skipped: true,
    });
    sections.push(
      `### 6. BullMQ delivery (${s.instances} instances, one Redis; server limited to R = ${s.requestsPerSecond}/s)\n\n` +
        table(['client', 'result'], [[`${s.instances} × nestjs-loops (BullMQ)`, `skipped: ${skipped}`]]),
    );
  } else if (b) {
    const s = b.settings;
    const R = s.requestsPerSecond;
    targets.push(
      { part: '6', name: 'lost', value: String(b.lost), target: '0', met: b.lost === 0 },
      {
        part: '6',
        name: 'duplicated (accepted under another key / re-sent after accepted)',
        value: `${b.duplicated} / ${b.resentAfterAccepted}`,
        target: '0',
        met: b.duplicated === 0 && b.resentAfterAccepted === 0,
      },
      { part: '6', name: '429s received', value: String(b.rateLimited), target: '0', met: b.rateLimited === 0 },
      {
        part: '6',
        name: 'max events/send requests in any 1 s',
        value: String(b.maxInAnyWindow),
        target: `<= ${R}`,
        met: b.maxInAnyWindow <= R,
      },
    );
    const perInstance = b.perInstance
      .map(
        (p, index) =>
          `instance ${index + 1}: enqueued ${s.events / s.instances} in ${p.enqueueMs} ms ` +
          `(${formatNumber(p.enqueuePerSecond)} events/s); its worker delivered ${p.outcomes.sent}, ` +
          `${p.outcomes.failed} failed, ${p.outcomes.retried} retried`,
      )
      .join('; ');
    sections.push(
      `### 6. BullMQ delivery (${s.instances} instances in their own processes, one Redis, one queue; server ` +
        `limited to R = ${R}/s; ${s.events} events, ${s.events / s.instances} enqueued at once by each instance)\n\n` +
        table(
          [
            'client',
            'enqueue events/s',
            'wall s',
            'ideal s',
            'wall/ideal',
            'delivered events/s',
            '429s',
            'lost',
            'duplicated',
            'max in any 1 s',
          ],
          [
            [
              `${s.instances} × nestjs-loops (enqueueEventAsync, rateLimit ${R}/s, concurrency ${s.concurrency})`,
              formatNumber(b.enqueuePerSecond),
              (b.wallMs / 1000).toFixed(2),
              (b.idealMs / 1000).toFixed(2),
              b.wallToIdeal.toFixed(3),
              b.deliveredPerSecond.toFixed(1),
              b.rateLimited,
              b.lost,
              `${b.duplicated} (+${b.resentAfterAccepted} re-sent)`,
              b.maxInAnyWindow,
            ],
          ],
        ) +
        `\n\nEnqueue: until Redis acknowledged all ${s.events} events (${b.enqueueMs} ms, ` +
        `${b.enqueueFailed} rejected), with both workers already delivering. Wall: from the first enqueue until the ` +
        `last flush() resolved. ${perInstance}. ${b.requests} events/send requests in all.`,
    );
  } else if (!bullmq.ok) {
    targets.push({ part: '6', name: 'BullMQ delivery', value: 'failed', target: '', met: false });
    sections.push(`### 6. BullMQ delivery\n\n${failureLine(bullmq)}`);
  }

  // 7. Telemetry cost
  if (telemetry.ok) {
    const t = telemetry.value;
    const s = t.settings;
    const contenders = Object.keys(t.awaitedRatio) as (keyof typeof t.awaitedRatio)[];
    const perRound = (contender: (typeof contenders)[number], pick: 'awaitedCpuMicrosPerEvent') =>
      t.rounds.map((r) => (r.results[contender][pick] / r.results['before telemetry'][pick]).toFixed(2)).join(' ');
    targets.push({
      part: '7',
      name: 'CPU per awaited send, API without SDK vs before telemetry',
      value: `${t.awaitedRatio['API, no SDK'].toFixed(3)}×`,
      target: '<= 1.05× (noise)',
      met: t.awaitedRatio['API, no SDK'] <= 1.05,
    });
    sections.push(
      `### 7. Telemetry cost (${s.events} awaited sends at concurrency ${s.concurrency}, then ${s.events} events ` +
        `enqueued and flushed, per process; ${t.rounds.length} rounds, a fresh process per contender, rotating ` +
        `order; medians; "before telemetry" is ${t.baselineCommit.slice(0, 7)} built from git)\n\n` +
        table(
          [
            'library',
            'awaited: CPU µs/event',
            '× before',
            'per round',
            'background: CPU µs/event',
            '× before',
            'awaited events/s',
          ],
          contenders.map((contender) => [
            contender,
            t.awaitedCpuMicrosPerEvent[contender].toFixed(1),
            t.awaitedRatio[contender].toFixed(3),
            perRound(contender, 'awaitedCpuMicrosPerEvent'),
            t.backgroundCpuMicrosPerEvent[contender].toFixed(1),
            t.backgroundRatio[contender].toFixed(3),
            formatNumber(t.awaitedPerSecond[contender]),
          ]),
        ) +
        `\n\n${t.failures} failed sends. "API + SDK" records every span (batch processor) and aggregates every ` +
        'metric, exporting to a sink that drops them; no HTTP instrumentation.',
    );
  } else {
    targets.push({ part: '7', name: 'telemetry cost', value: 'failed', target: '', met: false });
    sections.push(`### 7. Telemetry cost\n\n${failureLine(telemetry)}`);
  }

  // 8. Mixed traffic
  if (mixed.ok) {
    const m = mixed.value;
    const s = m.settings;
    const contenders = Object.keys(m.awaitedRatio) as (keyof typeof m.awaitedRatio)[];
    const perRound = (contender: (typeof contenders)[number]) =>
      m.rounds
        .map((r) =>
          (
            r.results[contender].awaitedCpuMicrosPerRequest / r.results['events only'].awaitedCpuMicrosPerRequest
          ).toFixed(2),
        )
        .join(' ');
    const one = m.burst['one client'];
    targets.push(
      {
        part: '8',
        name: 'CPU per awaited event, this build vs the build before',
        value: `${(1 / m.awaitedRatio['events only, before']).toFixed(3)}×`,
        target: '<= 1.05× (noise)',
        met: 1 / m.awaitedRatio['events only, before'] <= 1.05,
      },
      {
        part: '8',
        name: 'mixed burst: 429s / lost / duplicated',
        value: `${one.rateLimited} / ${one.lost} / ${one.duplicated}`,
        target: '0 / 0 / 0',
        met: one.rateLimited + one.lost + one.duplicated === 0,
      },
      {
        part: '8',
        name: 'mixed burst: contacts updated',
        value: `${one.contacts} of ${s.burstEach}`,
        target: `${s.burstEach}`,
        met: one.contacts === s.burstEach,
      },
      {
        part: '8',
        name: 'mixed burst: max requests in any 1 s',
        value: String(one.maxInAnyWindow),
        target: `<= ${s.requestsPerSecond}`,
        met: one.maxInAnyWindow <= s.requestsPerSecond,
      },
    );
    const burstRow = (label: string, b: (typeof m.burst)['one client']) => [
      label,
      (b.wallMs / 1000).toFixed(2),
      (b.idealMs / 1000).toFixed(2),
      b.wallToIdeal.toFixed(3),
      b.rateLimited,
      b.lost,
      b.duplicated,
      `${b.contacts} (${b.contactFailures} failed)`,
      b.maxInAnyWindow,
    ];
    sections.push(
      `### 8. Mixed traffic (${s.requests} awaited calls at concurrency ${s.concurrency}, then ${s.requests} enqueued ` +
        `and flushed, per process, no rate limit; ${m.rounds.length} rounds, a fresh process per contender, rotating ` +
        `order; medians; "before" is ${m.baselineCommit.slice(0, 7)} built from git)\n\n` +
        table(
          [
            'library and traffic',
            'awaited: CPU µs/request',
            '× events only',
            'per round',
            'background: CPU µs/request',
            '× events only',
            'awaited requests/s',
          ],
          contenders.map((contender) => [
            contender,
            m.awaitedCpuMicrosPerRequest[contender].toFixed(1),
            m.awaitedRatio[contender].toFixed(3),
            perRound(contender),
            m.backgroundCpuMicrosPerRequest[contender].toFixed(1),
            m.backgroundRatio[contender].toFixed(3),
            formatNumber(m.awaitedPerSecond[contender]),
          ]),
        ) +
        `\n\n${m.failures} failed calls. Mixed: a third each of sendEvent, LoopsTransactionalService.send and ` +
        'LoopsContactsService.updateContact awaited; events and emails in turn enqueued.\n\n' +
        `Mixed burst (server limited to R = ${s.requestsPerSecond}/s; ${s.burstEach} events and ${s.burstEach} ` +
        `emails enqueued, ${s.burstEach} contact updates awaited, all at once):\n\n` +
        table(
          [
            'clients',
            'wall s',
            'ideal s',
            'wall/ideal',
            '429s',
            'lost',
            'duplicated',
            'contacts updated',
            'max in any 1 s',
          ],
          [
            burstRow(`nestjs-loops for all (rateLimit ${s.requestsPerSecond}/s)`, one),
            burstRow('nestjs-loops for events and emails, loops SDK for contacts', m.burst['two clients']),
          ],
        ),
    );
  } else {
    targets.push({ part: '8', name: 'mixed traffic', value: 'failed', target: '', met: false });
    sections.push(`### 8. Mixed traffic\n\n${failureLine(mixed)}`);
  }

  // A part BENCH_PARTS left out measured nothing: its targets are neither met nor missed.
  for (const target of targets) {
    if (PARTS && !PARTS.includes(target.part)) Object.assign(target, { value: NOT_RUN, skipped: true });
  }
  const durationSeconds = round((Date.now() - started) / 1000, 1);
  sections.push(
    '### Targets\n\n' +
      table(
        ['part', 'figure', 'value', 'target', ''],
        targets.map((t) => [t.part, t.name, t.value, t.target, t.skipped ? 'skipped' : verdict(t.met)]),
      ) +
      `\n\nRun time ${durationSeconds} s (build excluded).`,
  );
  process.stdout.write(`${sections.join('\n\n')}\n`);

  const value = <T>(outcome: Outcome<T>): T | { error: string } =>
    outcome.ok ? outcome.value : { error: outcome.error };
  const results = {
    date: startedAt.toISOString(),
    node: process.version,
    git: gitState(),
    machine,
    quick: QUICK,
    durationSeconds,
    settings: SETTINGS,
    interceptorOverhead: interceptor.map(value),
    sendThroughput: value(throughput),
    rateLimitedDelivery: value(rateLimited),
    memory: value(memory),
    validationCost: value(validation),
    bullmqDelivery: value(bullmq),
    telemetryCost: value(telemetry),
    mixedTraffic: value(mixed),
    targets,
  };
  writeFileSync(join(__dirname, '..', '..', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const failedParts = [...interceptor, throughput, rateLimited, memory, validation, bullmq, telemetry, mixed].filter(
    (o) => !o.ok && o.error !== NOT_RUN,
  ).length;
  process.exitCode = failedParts > 0 ? 1 : 0;
}

void main();
