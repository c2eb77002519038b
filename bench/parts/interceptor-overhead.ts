/**
 * Part 1, interceptor overhead. Three processes:
 *
 *   this process (autocannon) --HTTP--> app child (Nest + nestjs-loops) --HTTP--> Loops server child
 *
 * autocannon runs here, the app under test in `children/interceptor-app.ts`, so that the load generator never
 * takes the app's event loop; the Loops-compatible server has its own process too. The routes are loaded in turn
 * (A A' A'' B, then A' A'' B A, ...) with the same connections and duration, and each round's ratios are taken side
 * by side, so that a noisy neighbour slows the routes of a round alike. A round's ratio moves by several per cent on
 * a shared machine, so the figure is the rounds' geometric mean with its 95% interval: many short rounds rather than
 * a few long ones, so that the interval is narrow enough to say something. Besides req/s and latency, the app's own
 * CPU time per response is measured, and the part of it garbage collection held the main thread.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoopsModuleOptions } from 'nestjs-loops';
import type { AppCpuMessage, AppStatsMessage } from '../children/interceptor-app';
import { forkChild, LoopsServerProcess, nextMessage, stopChild } from '../support/processes';
import { median, type RatioEstimate, ratioEstimate, rotate, round } from '../support/stats';
import { BENCH_API_KEY } from '../support/workload';

export interface InterceptorSettings {
  connections: number;
  warmupSeconds: number;
  rounds: number;
  roundSeconds: number;
}

export interface RouteFigures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and timeouts plus non-2xx answers. */
  errors: number;
  /**
   * CPU time (user + system) the app process spent per response. Less sensitive than req/s to what else the
   * machine runs: the difference between the routes is what the decorator costs in CPU.
   */
  cpuMicrosPerRequest: number;
  /**
   * The time garbage collection held the app's main thread, per response: where a route whose requests leave
   * objects behind (queued events) pays for them.
   */
  gcMicrosPerRequest: number;
}

export interface InterceptorConfigResult {
  name: string;
  loopsOptions: Omit<LoopsModuleOptions, 'apiKey' | 'baseUrl'>;
  serverRateLimit: number;
  rounds: {
    order: string;
    routes: Partial<Record<Route, RouteFigures>>;
    ratio: number;
    noopRatio?: number;
    /** B/A': the decorated route against the no-op interceptor's, Nest's own interceptor cost set aside. */
    toNoopRatio?: number;
    /** B/A'': the decorated route against the pass-through operator's, the cost of acting on the result set aside. */
    toOperatorRatio?: number;
  }[];
  /** Medians over the rounds. */
  routes: Partial<Record<Route, RouteFigures>>;
  /** The rounds' decorated/plain req/s ratios, combined. */
  ratio: RatioEstimate;
  /** Median of the rounds' decorated minus plain app CPU µs per request. */
  cpuMicrosAdded: number;
  /** The rounds' no-op-interceptor/plain req/s ratios combined, when that reference route was loaded. */
  noopRatio?: RatioEstimate;
  /** The rounds' B/A' combined. */
  toNoopRatio?: RatioEstimate;
  /** The rounds' B/A'' combined, when that reference route was loaded. */
  toOperatorRatio?: RatioEstimate;
  /** The decorated requests sent, warm-up included: one background event each. */
  decoratedRequests: number;
  /** The app's queue and outcomes when the last round ended. */
  app: Omit<AppStatsMessage, 'type'>;
  /** Most events left pending right after a decorated load (the backlog the queue absorbed). */
  maxBacklog: number;
  server: { accepted: number; requests: number; rateLimited: number };
}

export const ROUTES = {
  plain: '/plain',
  noop: '/noop-interceptor',
  operator: '/operator-interceptor',
  decorated: '/decorated',
} as const;
export type Route = keyof typeof ROUTES;
export const ROUTE_LABELS: Record<Route, string> = {
  plain: 'A plain',
  noop: "A' no-op interceptor (reference)",
  operator: "A'' pass-through operator (reference)",
  decorated: 'B @EmitLoopsEvent',
};

export const INTERCEPTOR_CONFIGS: {
  name: string;
  serverRateLimit: number;
  loopsOptions: Omit<LoopsModuleOptions, 'apiKey' | 'baseUrl'>;
  routes: Route[];
  /**
   * Wait for the queue to empty before each load, so that one route's deliveries are not done on the next one's
   * time (the decorated route leaves a backlog when deliveries are slower than requests).
   */
  drainBetweenRuns: boolean;
}[] = [
  {
    // Delivery at Loops' 10/s; the queue absorbs the burst, so the figure is what the decorator costs a request.
    // The no-op interceptor route shows what any interceptor costs on its own; the pass-through operator's, what
    // waiting for the handler's result costs on top, before the decorator does anything with it.
    name: 'default rate limit (10/s), queue absorbs',
    serverRateLimit: 10,
    loopsOptions: { queue: { maxPending: 1_000_000 } },
    routes: ['plain', 'noop', 'operator', 'decorated'],
    drainBetweenRuns: false, // at 10/s it never drains; these deliveries cost next to nothing
  },
  {
    // Every event is also delivered at once: the app's capacity when it does the deliveries too.
    name: 'rateLimit: false, delivered at once',
    serverRateLimit: 0,
    loopsOptions: { rateLimit: false, queue: { maxPending: 1_000_000 } },
    routes: ['plain', 'decorated'],
    drainBetweenRuns: true,
  },
];

async function appCpu(app: ChildProcess): Promise<AppCpuMessage> {
  const reply = nextMessage<AppCpuMessage>(app, 'cpu', 10_000);
  app.send({ type: 'cpu' });
  return reply;
}

async function appStats(app: ChildProcess): Promise<Omit<AppStatsMessage, 'type'>> {
  const reply = nextMessage<AppStatsMessage>(app, 'stats', 10_000);
  app.send({ type: 'stats' });
  const { type: _type, ...stats } = await reply;
  return stats;
}

/** Waits until the app's queue is empty, or `timeoutMs` has passed. */
async function drain(app: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await appStats(app)).pending > 0 && Date.now() < deadline) await sleep(50);
}

async function load(
  app: ChildProcess,
  url: string,
  connections: number,
  seconds: number,
): Promise<RouteFigures & { sent: number }> {
  const before = await appCpu(app);
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  const after = await appCpu(app);
  return {
    reqPerSec: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpuMicrosPerRequest: (after.micros - before.micros) / result.requests.total,
    gcMicrosPerRequest: (after.gcMicros - before.gcMicros) / result.requests.total,
    sent: result.requests.sent,
  };
}

function medianFigures(figures: RouteFigures[]): RouteFigures {
  return {
    reqPerSec: round(median(figures.map((f) => f.reqPerSec)), 0),
    p50Ms: round(median(figures.map((f) => f.p50Ms))),
    p99Ms: round(median(figures.map((f) => f.p99Ms))),
    errors: figures.reduce((sum, f) => sum + f.errors, 0),
    cpuMicrosPerRequest: round(median(figures.map((f) => f.cpuMicrosPerRequest)), 1),
    gcMicrosPerRequest: round(median(figures.map((f) => f.gcMicrosPerRequest)), 1),
  };
}

function roundedEstimate(ratios: number[]): RatioEstimate {
  const { estimate, low, high } = ratioEstimate(ratios);
  return { estimate: round(estimate, 3), low: round(low, 3), high: round(high, 3) };
}

export async function measureInterceptorConfig(
  config: (typeof INTERCEPTOR_CONFIGS)[number],
  settings: InterceptorSettings,
): Promise<InterceptorConfigResult> {
  const server = await LoopsServerProcess.start({ rateLimit: config.serverRateLimit });
  const app = forkChild('interceptor-app');
  try {
    const listening = nextMessage<{ url: string }>(app, 'listening', 30_000);
    app.send({ type: 'start', options: { ...config.loopsOptions, apiKey: BENCH_API_KEY, baseUrl: server.baseUrl } });
    const { url } = await listening;
    let decoratedRequests = 0;
    let maxBacklog = 0;
    const run = async (route: Route, seconds: number): Promise<RouteFigures> => {
      if (config.drainBetweenRuns) await drain(app, 15_000);
      const { sent, ...figures } = await load(app, url + ROUTES[route], settings.connections, seconds);
      if (route === 'decorated') {
        decoratedRequests += sent;
        maxBacklog = Math.max(maxBacklog, (await appStats(app)).pending);
      }
      return figures;
    };

    for (const route of config.routes) await run(route, settings.warmupSeconds);
    const rounds: InterceptorConfigResult['rounds'] = [];
    const rounded = (f: RouteFigures): RouteFigures => ({
      ...f,
      reqPerSec: round(f.reqPerSec, 0),
      cpuMicrosPerRequest: round(f.cpuMicrosPerRequest, 1),
      gcMicrosPerRequest: round(f.gcMicrosPerRequest, 1),
    });
    for (let r = 0; r < settings.rounds; r++) {
      // Each route takes each place in turn: none always runs first, or always after the decorated one's backlog.
      const order = rotate(config.routes, r);
      const figures: Partial<Record<Route, RouteFigures>> = {};
      for (const route of order) figures[route] = rounded(await run(route, settings.roundSeconds));
      const plain = figures.plain as RouteFigures;
      rounds.push({
        order: order.map((route) => ROUTE_LABELS[route].split(' ')[0]).join(''),
        routes: figures,
        ratio: round((figures.decorated as RouteFigures).reqPerSec / plain.reqPerSec, 3),
        ...(figures.noop && {
          noopRatio: round(figures.noop.reqPerSec / plain.reqPerSec, 3),
          toNoopRatio: round((figures.decorated as RouteFigures).reqPerSec / figures.noop.reqPerSec, 3),
        }),
        ...(figures.operator && {
          toOperatorRatio: round((figures.decorated as RouteFigures).reqPerSec / figures.operator.reqPerSec, 3),
        }),
      });
    }

    const finalStats = await appStats(app);
    return {
      name: config.name,
      loopsOptions: config.loopsOptions,
      serverRateLimit: config.serverRateLimit,
      rounds,
      routes: Object.fromEntries(
        config.routes.map((route) => [route, medianFigures(rounds.map((r) => r.routes[route] as RouteFigures))]),
      ),
      ratio: roundedEstimate(rounds.map((r) => r.ratio)),
      cpuMicrosAdded: round(
        median(
          rounds.map(
            (r) =>
              (r.routes.decorated as RouteFigures).cpuMicrosPerRequest -
              (r.routes.plain as RouteFigures).cpuMicrosPerRequest,
          ),
        ),
        1,
      ),
      ...(config.routes.includes('noop') && {
        noopRatio: roundedEstimate(rounds.map((r) => r.noopRatio as number)),
        toNoopRatio: roundedEstimate(rounds.map((r) => r.toNoopRatio as number)),
      }),
      ...(config.routes.includes('operator') && {
        toOperatorRatio: roundedEstimate(rounds.map((r) => r.toOperatorRatio as number)),
      }),
      decoratedRequests,
      app: finalStats,
      maxBacklog,
      server: await server.stats(),
    };
  } finally {
    await stopChild(app);
    await server.stop();
  }
}
