import type { AcceptedEvent, RecordedRequest } from './loops-compatible-server';

/**
 * What the server saw that only a duplicate delivery, or a client sending twice at once, can explain. A test of
 * "exactly once" asserts all three are empty: each can go red, unlike counting accepted events by key (the
 * server answers 409 to any reused key, so no key is ever accepted twice whatever the client does).
 */
export interface DeliveryAudit {
  /** Logical events accepted more than once, under any keys: a client that changed the key between retries. */
  acceptedTwice: { logicalId: string; keys: (string | undefined)[] }[];
  /**
   * Requests carrying a key whose acceptance had already reached the client. Legitimate only after an unknown
   * outcome, which a 200 the client read is not. The server can't see a client read an answer; it counts one as
   * read when the client kept the connection (HTTP keep-alive) for `READ_GRACE_MS` after it, or until the later
   * request: a client that gives up on a request (a timeout, an abort at shutdown) closes its connection at once.
   */
  sentAfterAcknowledged: RecordedRequest[];
  /** Requests that arrived while another request with the same key was still open: two senders of one event. */
  concurrentWithSameKey: RecordedRequest[];
}

/** How long a client keeps a connection after reading an answer, at the least, where it didn't give up on it. */
export const READ_GRACE_MS = 1_000;

/** Reads the audit off what the server recorded; `logicalIdOf` names the logical event a body stands for. */
export function auditDeliveries(
  requests: readonly RecordedRequest[],
  accepted: readonly AcceptedEvent[],
  logicalIdOf: (body: Record<string, unknown>) => string,
): DeliveryAudit {
  const keysByLogicalId = new Map<string, (string | undefined)[]>();
  for (const event of accepted) {
    const logicalId = logicalIdOf(event.body);
    keysByLogicalId.set(logicalId, [...(keysByLogicalId.get(logicalId) ?? []), event.idempotencyKey]);
  }
  const acceptedTwice = [...keysByLogicalId]
    .filter(([, keys]) => keys.length > 1)
    .map(([logicalId, keys]) => ({ logicalId, keys }));

  const eventRequests = requests.filter((request) => request.idempotencyKey !== undefined);
  const acceptances = eventRequests.filter((request) => request.accepted && request.answeredOrder !== undefined);
  const sentAfterAcknowledged = eventRequests.filter((request) =>
    acceptances.some(
      (acceptance) =>
        acceptance.idempotencyKey === request.idempotencyKey &&
        (acceptance.answeredOrder as number) < request.receivedOrder &&
        (acceptance.connectionClosedAt ?? Infinity) >=
          Math.min(request.receivedAt, (acceptance.answeredAt as number) + READ_GRACE_MS),
    ),
  );
  const concurrentWithSameKey = eventRequests.filter((request) =>
    eventRequests.some(
      (other) =>
        other !== request &&
        other.idempotencyKey === request.idempotencyKey &&
        other.receivedOrder < request.receivedOrder &&
        request.receivedOrder < (other.closedOrder ?? Infinity),
    ),
  );
  return { acceptedTwice, sentAfterAcknowledged, concurrentWithSameKey };
}
