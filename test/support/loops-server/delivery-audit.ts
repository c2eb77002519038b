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
   * Requests carrying a key whose acceptance had already reached the client (the 200 was written out in full).
   * Legitimate only after an unknown outcome, which a delivered 200 is not.
   */
  sentAfterAcknowledged: RecordedRequest[];
  /** Requests that arrived while another request with the same key was still open: two senders of one event. */
  concurrentWithSameKey: RecordedRequest[];
}

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
  const acknowledgedAt = new Map<string, number>();
  for (const request of eventRequests) {
    if (request.accepted && request.answeredAt !== undefined) {
      const key = request.idempotencyKey as string;
      acknowledgedAt.set(key, Math.min(acknowledgedAt.get(key) ?? Infinity, request.answeredAt));
    }
  }
  const sentAfterAcknowledged = eventRequests.filter(
    (request) => request.receivedAt > (acknowledgedAt.get(request.idempotencyKey as string) ?? Infinity),
  );
  const concurrentWithSameKey = eventRequests.filter((request) =>
    eventRequests.some(
      (other) =>
        other !== request &&
        other.idempotencyKey === request.idempotencyKey &&
        other.receivedAt <= request.receivedAt &&
        request.receivedAt < (other.closedAt ?? Infinity) &&
        // Arrivals stamped in the same millisecond count once, on the later of the two in the log.
        (other.receivedAt < request.receivedAt || requests.indexOf(other) < requests.indexOf(request)),
    ),
  );
  return { acceptedTwice, sentAfterAcknowledged, concurrentWithSameKey };
}
