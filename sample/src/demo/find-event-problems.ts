import type { AcceptedEvent } from '../../../test/support/loops-server';
import type { ExpectedEvent } from './demo-requests';
import { maskEmails } from './mask-emails';

/** What differs between the events expected and those received (order aside), in words; empty when they match. */
export function findEventProblems(expected: readonly ExpectedEvent[], received: readonly AcceptedEvent[]): string[] {
  const unmatched = received.map(({ body }) => describe(body.eventName, body.email));
  const problems: string[] = [];
  for (const { eventName, email } of expected) {
    const index = unmatched.indexOf(describe(eventName, email));
    if (index === -1) problems.push(`missing event ${describe(eventName, email)}`);
    else unmatched.splice(index, 1);
  }
  return [...problems, ...unmatched.map((event) => `unexpected event ${event}`)];
}

function describe(eventName: unknown, email: unknown): string {
  return maskEmails(`${String(eventName)} for ${String(email)}`);
}
