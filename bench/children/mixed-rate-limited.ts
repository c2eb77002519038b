/**
 * Part 8, a mixed burst under the team's rate limit, in a child process of its own (the rate-limited Loops server has
 * another): `each` events and `each` transactional emails enqueued at once, and `each` contact updates awaited at
 * once, then `flush()`.
 * - `one client`: everything through nestjs-loops, one limiter;
 * - `two clients`: events and emails through nestjs-loops (limited to the team's rate), the contact updates
 *   through the official SDK beside it, as an app that used the SDK for contacts did: two clients, each unaware of
 *   the other's requests.
 * Returns the keys enqueued, so that the parent can hold them against the keys the server accepted.
 */
import 'reflect-metadata';
import { LoopsClient } from 'loops';
import { merge } from 'rxjs';
import { LoopsContactsService, LoopsEventsService, LoopsModule, LoopsTransactionalService } from 'nestjs-loops';
import { serveTask } from '../support/child';
import { createLoopsApp } from '../support/loops-app';
import { type OutcomeCounts, tallyOutcomes } from '../support/outcome-tally';
import { BENCH_API_KEY, typicalContact, typicalEmail, typicalEvent } from '../support/workload';

export interface MixedRateLimitedInput {
  mode: 'one client' | 'two clients';
  url: string;
  baseUrl: string;
  each: number;
  requestsPerSecond: number;
}

export interface MixedRateLimitedOutput {
  wallMs: number;
  keys: string[];
  outcomes: OutcomeCounts;
  /** Contact updates that rejected. */
  contactFailures: number;
  errors: Record<string, number>;
}

async function run(input: MixedRateLimitedInput): Promise<MixedRateLimitedOutput> {
  const app = await createLoopsApp(LoopsModule, {
    apiKey: BENCH_API_KEY,
    baseUrl: input.baseUrl,
    rateLimit: { requestsPerSecond: input.requestsPerSecond },
    queue: { maxPending: input.each * 4 },
    sendTimeoutMs: 120_000,
  });
  const loops = app.get(LoopsEventsService);
  const transactional = app.get(LoopsTransactionalService);
  const contacts = app.get(LoopsContactsService);
  const { outcomes, errors } = tallyOutcomes(merge(loops.deliveries$, transactional.deliveries$));
  const sdk = new LoopsClient(BENCH_API_KEY);
  sdk.apiRoot = `${input.url}/api/`;

  const start = performance.now();
  const keys: string[] = [];
  const updates: Promise<unknown>[] = [];
  for (let i = 0; i < input.each; i++) {
    keys.push(loops.enqueueEvent(typicalEvent(i)), transactional.enqueue(typicalEmail(i)));
    updates.push(
      input.mode === 'one client'
        ? contacts.updateContact(typicalContact(i))
        : sdk.updateContact({ email: typicalContact(i).email, properties: typicalContact(i).properties }),
    );
  }
  const settled = await Promise.allSettled(updates);
  await loops.flush();
  const wallMs = performance.now() - start;
  await app.close();
  for (const update of settled) {
    if (update.status === 'rejected') {
      const name = update.reason instanceof Error ? update.reason.name : 'unknown';
      errors[name] = (errors[name] ?? 0) + 1;
    }
  }
  const contactFailures = settled.filter((update) => update.status === 'rejected').length;
  return { wallMs, keys, outcomes, contactFailures, errors };
}

serveTask(run);
