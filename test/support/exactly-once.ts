import type { LoopsCompatibleServer } from './loops-server';

/** The logical event a body stands for, in the tests that send one event per user: its `userId`. */
export const byUserId = (body: Record<string, unknown>): string => String(body.userId);

/**
 * Asserts what only a real duplicate (or a loss) could break: each logical event in `logicalIds` accepted once
 * under whatever keys, no request for a key whose acceptance had reached the client, and no two requests for one
 * key at once. Counting accepted events per key would prove nothing: the server answers 409 to any reused key.
 */
export function expectDeliveredExactlyOnce(
  server: LoopsCompatibleServer,
  logicalIds: readonly string[],
  logicalIdOf: (body: Record<string, unknown>) => string = byUserId,
): void {
  expectNoDuplicateDelivery(server, logicalIdOf);
  const accepted = new Set(server.accepted.map((event) => logicalIdOf(event.body)));
  expect(logicalIds.filter((id) => !accepted.has(id))).toEqual([]);
  expect(accepted.size).toBe(new Set(logicalIds).size);
}

/**
 * The duplicate half of `expectDeliveredExactlyOnce`, for runs where some events may fail for good: no logical event
 * accepted twice, no request after an acceptance the client read, no two requests for one key at once. A failure
 * names the counter and the keys.
 */
export function expectNoDuplicateDelivery(
  server: LoopsCompatibleServer,
  logicalIdOf: (body: Record<string, unknown>) => string = byUserId,
): void {
  const audit = server.audit(logicalIdOf);
  expect(audit.acceptedTwice).toEqual([]);
  expect(audit.sentAfterAcknowledged.map((request) => request.idempotencyKey)).toEqual([]);
  expect(audit.concurrentWithSameKey.map((request) => request.idempotencyKey)).toEqual([]);
}
