/**
 * Part 2, send throughput, in a child process of its own (the Loops server has another): `events` awaited sends at
 * `concurrency`, through each contender in turn, round after round, each round starting with a different one.
 * Every contender makes the same request: POST /api/v1/events/send, the same JSON body, `Authorization`,
 * `Content-Type` and a fresh `Idempotency-Key` (a v4 UUID) per event.
 */
import 'reflect-metadata';
import axios from 'axios';
import { LoopsClient } from 'loops';
import { randomUUID } from 'node:crypto';
import { LoopsEventsService, LoopsModule } from 'nestjs-loops';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { rotate } from '../support/stats';
import { BENCH_API_KEY, runPool, typicalEvent, typicalEventBody } from '../support/workload';

export interface SendThroughputInput {
  url: string;
  baseUrl: string;
  events: number;
  concurrency: number;
  rounds: number;
  /** Fewer rounds (but at least 3) when the machine is so slow that the rounds would take longer than this. */
  budgetSeconds: number;
  warmupEvents: number;
}

export const CONTENDERS = ['nestjs-loops', 'loops SDK', 'plain fetch', 'plain axios'] as const;
export type Contender = (typeof CONTENDERS)[number];

export interface SendThroughputOutput {
  /** One entry per round: events/s of each contender, and the order they ran in. */
  rounds: {
    order: Contender[];
    eventsPerSecond: Record<Contender, number>;
    /** CPU time (user + system) of this client process per event: what the contender itself costs. */
    cpuMicrosPerEvent: Record<Contender, number>;
    failures: Record<Contender, number>;
  }[];
  firstError?: string;
}

async function run(input: SendThroughputInput): Promise<SendThroughputOutput> {
  const app = await createLoopsApp(LoopsModule, { apiKey: BENCH_API_KEY, baseUrl: input.baseUrl, rateLimit: false });
  const loops = app.get(LoopsEventsService);

  const sdk = new LoopsClient(BENCH_API_KEY);
  sdk.apiRoot = `${input.url}/api/`;

  const endpoint = `${input.baseUrl}/events/send`;
  const headers = (): Record<string, string> => ({
    Authorization: `Bearer ${BENCH_API_KEY}`,
    'Content-Type': 'application/json',
    'Idempotency-Key': randomUUID(),
  });
  const http = axios.create();

  // Each call resolves once the server has accepted the event and rejects otherwise.
  const send: Record<Contender, (i: number) => Promise<unknown>> = {
    // The key is the module's own: a fresh v4 UUID per event, as in the other contenders.
    'nestjs-loops': (i) => loops.sendEvent(typicalEvent(i)),
    'loops SDK': (i) => sdk.sendEvent({ ...typicalEvent(i), headers: { 'Idempotency-Key': randomUUID() } }),
    'plain fetch': async (i) => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify(typicalEventBody(i)),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
      return JSON.parse(text) as unknown;
    },
    'plain axios': async (i) => (await http.post(endpoint, typicalEventBody(i), { headers: headers() })).data,
  };

  let firstError: string | undefined;
  const measure = async (contender: Contender, events: number) => {
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const outcome = await runPool(events, input.concurrency, send[contender]);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    firstError ??= outcome.firstError && `${contender}: ${outcome.firstError}`;
    return { perSecond: events / seconds, cpuMicros: (cpu.user + cpu.system) / events, failures: outcome.failures };
  };

  for (const contender of CONTENDERS) await measure(contender, input.warmupEvents);
  const rounds: SendThroughputOutput['rounds'] = [];
  const started = performance.now();
  for (let r = 0; r < input.rounds; r++) {
    if (r >= 3 && (performance.now() - started) / 1000 > (input.budgetSeconds * r) / input.rounds) break;
    const order = rotate(CONTENDERS, r);
    const eventsPerSecond = {} as Record<Contender, number>;
    const cpuMicrosPerEvent = {} as Record<Contender, number>;
    const failures = {} as Record<Contender, number>;
    for (const contender of order) {
      const measured = await measure(contender, input.events);
      eventsPerSecond[contender] = measured.perSecond;
      cpuMicrosPerEvent[contender] = measured.cpuMicros;
      failures[contender] = measured.failures;
    }
    rounds.push({ order, eventsPerSecond, cpuMicrosPerEvent, failures });
  }
  return { rounds, firstError };
}

serveTask(run);
