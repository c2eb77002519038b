/** The key the local Loops-compatible server is started with, and every client sends. */
export const BENCH_API_KEY = 'bench-key';

/** Plain values only, so that it fits both `SendEventInput` and the official SDK's `sendEvent` parameter. */
export interface TypicalEvent {
  eventName: string;
  email: string;
  eventProperties: Record<string, string | number | boolean>;
  contactProperties: Record<string, string | number | boolean>;
}

/**
 * A typical event: a contact by email, a few event properties and a couple of contact properties.
 * Every contender of a comparison sends this very body.
 */
export function typicalEvent(i: number): TypicalEvent {
  return {
    eventName: 'benchEvent',
    email: `user${i}@example.com`,
    eventProperties: { plan: 'pro', amount: 42, trial: false },
    contactProperties: { firstName: 'Ada', source: 'bench' },
  };
}

/**
 * The wire body of {@link typicalEvent} as the official SDK builds it (contact properties flattened into the top
 * level), for the plain fetch and axios contenders.
 */
export function typicalEventBody(i: number): Record<string, unknown> {
  const { eventName, email, eventProperties, contactProperties } = typicalEvent(i);
  return { eventName, ...contactProperties, eventProperties, email };
}

/** Runs `task(0..count-1)` with at most `concurrency` calls in flight; resolves with the failures. */
export async function runPool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<{ failures: number; firstError?: string }> {
  let next = 0;
  let failures = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failures++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { failures, firstError };
}

/** A typical transactional email: a welcome email with two data variables. */
export function typicalEmail(i: number): {
  transactionalId: string;
  email: string;
  dataVariables: Record<string, string>;
} {
  return {
    transactionalId: 'cbenchwelcome',
    email: `user${i}@example.com`,
    dataVariables: { firstName: 'Ada', plan: 'pro' },
  };
}

/** A typical contact update: the contact by email, two properties. */
export function typicalContact(i: number): { email: string; properties: Record<string, string | number> } {
  return { email: `user${i}@example.com`, properties: { plan: 'pro', seats: i % 10 } };
}
