/**
 * Part 7, what telemetry costs, in a child process of its own per measurement. `contender` decides how the library
 * is loaded before anything else:
 * - `before telemetry`: the package built from the last commit without it (bench/dist/baseline, see the part);
 * - `no @opentelemetry/api`: this build, where requiring @opentelemetry/api fails as it does where it is missing;
 * - `API, no SDK`: this build with @opentelemetry/api and nothing registered (an app that has the API through some
 *   other package);
 * - `API + SDK`: this build with the OpenTelemetry SDK registered: every span recorded (batch processor) and every
 *   metric aggregated, both exported to a sink that drops them, so that no exporter's own cost is in the figure.
 *   No HTTP instrumentation: its cost is its own, not the library's.
 * Then it makes `events` awaited sends at `concurrency`, and enqueues `events` background events and flushes them,
 * and reports the CPU time (user + system) of the process per event for each.
 */
import 'reflect-metadata';
import Module from 'node:module';
import { join } from 'node:path';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { measureAwaited, measureBackground } from '../support/cpu-phases';
import { BENCH_API_KEY, typicalEvent } from '../support/workload';

export const TELEMETRY_CONTENDERS = ['before telemetry', 'no @opentelemetry/api', 'API, no SDK', 'API + SDK'] as const;
export type TelemetryContender = (typeof TELEMETRY_CONTENDERS)[number];

export interface TelemetryCostInput {
  contender: TelemetryContender;
  baseUrl: string;
  /** Where the baseline build is: its dist/index.js is loaded for `before telemetry`. */
  baselineDir: string;
  events: number;
  concurrency: number;
  warmupEvents: number;
}

export interface TelemetryCostOutput {
  awaitedCpuMicrosPerEvent: number;
  awaitedPerSecond: number;
  backgroundCpuMicrosPerEvent: number;
  failures: number;
  /** Whether @opentelemetry/api was loaded: the check that each contender is what it says. */
  otelApiLoaded: boolean;
}

type Library = typeof import('nestjs-loops');

/* eslint-disable @typescript-eslint/no-require-imports -- which library is loaded, and how, is what is measured */
function load(input: TelemetryCostInput): Library {
  if (input.contender === 'before telemetry') return require(join(input.baselineDir, 'dist', 'index.js')) as Library;
  if (input.contender === 'no @opentelemetry/api') {
    const resolve = (Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })
      ._resolveFilename;
    (Module as unknown as { _resolveFilename: typeof resolve })._resolveFilename = function (request, ...rest) {
      if (request === '@opentelemetry/api') {
        throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      }
      return resolve.call(this, request, ...rest);
    };
  }
  if (input.contender === 'API + SDK') registerSdk();
  return require('nestjs-loops') as Library;
}

function registerSdk(): void {
  const { metrics } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const sdkMetrics = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const sink = {
    export: (_items: unknown, done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  };
  new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(sink)] }).register();
  const reader = new sdkMetrics.PeriodicExportingMetricReader({
    exporter: { ...sink, selectAggregationTemporality: () => sdkMetrics.AggregationTemporality.CUMULATIVE },
    exportIntervalMillis: 10_000,
  });
  metrics.setGlobalMeterProvider(new sdkMetrics.MeterProvider({ readers: [reader] }));
}
/* eslint-enable @typescript-eslint/no-require-imports */

async function run(input: TelemetryCostInput): Promise<TelemetryCostOutput> {
  const { LoopsEventsService, LoopsModule } = load(input);
  const app = await createLoopsApp(LoopsModule, {
    apiKey: BENCH_API_KEY,
    baseUrl: input.baseUrl,
    rateLimit: false,
    queue: { concurrency: input.concurrency, maxPending: 1_000_000 },
  });
  const loops = app.get(LoopsEventsService);

  let failures = 0;
  loops.deliveries$.subscribe((outcome) => {
    if (outcome.status !== 'sent') failures++;
  });
  const awaited = async (events: number) => {
    const measured = await measureAwaited(events, input.concurrency, (i) => loops.sendEvent(typicalEvent(i)));
    failures += measured.failures;
    return measured;
  };
  const background = (events: number) =>
    measureBackground(
      events,
      (i) => loops.enqueueEvent(typicalEvent(i)),
      () => loops.flush(),
    );

  await awaited(input.warmupEvents);
  await background(input.warmupEvents);
  failures = 0;
  const sent = await awaited(input.events);
  const queued = await background(input.events);
  await app.close();
  return {
    awaitedCpuMicrosPerEvent: sent.cpuMicros,
    awaitedPerSecond: sent.perSecond,
    backgroundCpuMicrosPerEvent: queued.cpuMicros,
    failures,
    otelApiLoaded: Object.keys(require.cache).some((path) => path.includes('/@opentelemetry/api/')),
  };
}

serveTask(run);
