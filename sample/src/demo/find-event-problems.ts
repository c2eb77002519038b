import type { AcceptedEvent } from '../../../test/support/loops-server';
import type { ExpectedEmail, ExpectedEvent } from './demo-requests';
import { maskEmails } from './mask-emails';

/** What differs between the events expected and those received (order aside), in words; empty when they match. */
export function findEventProblems(expected: readonly ExpectedEvent[], received: readonly AcceptedEvent[]): string[] {
  return compare(
    'event',
    expected.map(({ eventName, email }) => describe(eventName, email)),
    received.map(({ body }) => describe(body.eventName, body.email)),
  );
}

/** The same for transactional emails. */
export function findEmailProblems(expected: readonly ExpectedEmail[], received: readonly AcceptedEvent[]): string[] {
  return compare(
    'transactional email',
    expected.map(({ transactionalId, email }) => describe(transactionalId, email)),
    received.map(({ body }) => describe(body.transactionalId, body.email)),
  );
}

function compare(kind: string, expected: string[], received: string[]): string[] {
  const unmatched = [...received];
  const problems: string[] = [];
  for (const wanted of expected) {
    const index = unmatched.indexOf(wanted);
    if (index === -1) problems.push(`missing ${kind} ${wanted}`);
    else unmatched.splice(index, 1);
  }
  return [...problems, ...unmatched.map((found) => `unexpected ${kind} ${found}`)];
}

function describe(eventName: unknown, email: unknown): string {
  return maskEmails(`${String(eventName)} for ${String(email)}`);
}
