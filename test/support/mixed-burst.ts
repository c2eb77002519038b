import type { SendEventInput, SendTransactionalInput } from '../../lib';
import type { LoopsCompatibleServer, RecordedRequest } from './loops-server';

/** The sends of a mixed burst: one event per user, one email per `sendId`, one contact per address. */

/** The logical send a body stands for: an event's user, or a transactional email's `sendId`. */
export const bySend = (body: Record<string, unknown>): string =>
  body.userId !== undefined
    ? `event ${String(body.userId)}`
    : `email ${String((body.dataVariables as { sendId?: unknown } | undefined)?.sendId)}`;

export const burstEvent = (index: number): SendEventInput => ({ eventName: 'burst', userId: `e-${index}` });
export const burstEmail = (index: number): SendTransactionalInput => ({
  transactionalId: 'cburst',
  email: `t-${index}@example.com`,
  dataVariables: { sendId: `t-${index}` },
});
export const burstContact = (index: number) => ({ email: `c-${index}@example.com`, properties: { burst: index } });

/** Every logical send of a burst of `each` of a kind. */
export const burstIds = (each: number): string[] =>
  Array.from({ length: each }, (_, index) => [`event e-${index}`, `email t-${index}`]).flat();

/** Requests to any endpoint that counts against the team's limit. */
export const limitedRequests = (server: LoopsCompatibleServer): RecordedRequest[] =>
  server.requests.filter((request) => request.path.startsWith('/api/v1/'));
