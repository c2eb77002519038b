/**
 * Part 8, mixed traffic, in a child process of its own per measurement (the Loops server has another). `contender`
 * decides the library and the workload:
 * - `events only, before`: the package built from the commit before transactional emails and contacts shared the
 *   engine (bench/dist/baseline-mixed), sending events only;
 * - `events only`: this build, sending events only;
 * - `mixed`: this build, each third of the requests an event, a transactional email, a contact update.
 * Awaited: `requests` awaited calls at `concurrency`. Background: `requests` events (mixed: events and emails in turn)
 * enqueued and flushed. It reports the CPU time (user + system) of the process per request for each.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { measureAwaited, measureBackground } from '../support/cpu-phases';
import { BENCH_API_KEY, typicalContact, typicalEmail, typicalEvent } from '../support/workload';

export const MIXED_CONTENDERS = ['events only, before', 'events only', 'mixed'] as const;
export type MixedContender = (typeof MIXED_CONTENDERS)[number];

export interface MixedTrafficInput {
  contender: MixedContender;
  baseUrl: string;
  /** Where the build of the commit before is: its dist/index.js. */
  baselineDir: string;
  requests: number;
  concurrency: number;
  warmupRequests: number;
}

export interface MixedTrafficOutput {
  awaitedCpuMicrosPerRequest: number;
  awaitedPerSecond: number;
  backgroundCpuMicrosPerRequest: number;
  failures: number;
  firstError?: string;
}

type Library = typeof import('nestjs-loops');

async function run(input: MixedTrafficInput): Promise<MixedTrafficOutput> {
  const library: Library =
    input.contender === 'events only, before'
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library of another commit
        (require(join(input.baselineDir, 'dist', 'index.js')) as Library)
      : // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded as an app loads it
        (require('nestjs-loops') as Library);
  const { LoopsEventsService, LoopsModule } = library;
  const app = await createLoopsApp(LoopsModule, {
    apiKey: BENCH_API_KEY,
    baseUrl: input.baseUrl,
    rateLimit: false,
    queue: { concurrency: input.concurrency, maxPending: 1_000_000 },
  });
  const loops = app.get(LoopsEventsService);
  const mixed = input.contender === 'mixed';
  const transactional = mixed ? app.get(library.LoopsTransactionalService) : undefined;
  const contacts = mixed ? app.get(library.LoopsContactsService) : undefined;

  let failures = 0;
  let firstError: string | undefined;
  loops.deliveries$.subscribe((outcome) => outcome.status !== 'sent' && failures++);
  transactional?.deliveries$.subscribe((outcome) => outcome.status !== 'sent' && failures++);
  const call = (i: number): Promise<unknown> => {
    if (!transactional || !contacts || i % 3 === 0) return loops.sendEvent(typicalEvent(i));
    return i % 3 === 1 ? transactional.send(typicalEmail(i)) : contacts.updateContact(typicalContact(i));
  };
  const enqueue = (i: number): void => {
    if (transactional && i % 2 === 1) transactional.enqueue(typicalEmail(i));
    else loops.enqueueEvent(typicalEvent(i));
  };
  const awaited = async (requests: number) => {
    const measured = await measureAwaited(requests, input.concurrency, call);
    failures += measured.failures;
    firstError ??= measured.firstError;
    return measured;
  };
  const background = (requests: number) => measureBackground(requests, enqueue, () => loops.flush());

  await awaited(input.warmupRequests);
  await background(input.warmupRequests);
  failures = 0;
  const sent = await awaited(input.requests);
  const queued = await background(input.requests);
  await app.close();
  return {
    awaitedCpuMicrosPerRequest: sent.cpuMicros,
    awaitedPerSecond: sent.perSecond,
    backgroundCpuMicrosPerRequest: queued.cpuMicros,
    failures,
    firstError,
  };
}

serveTask(run);
