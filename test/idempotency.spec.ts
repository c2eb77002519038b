/**
 * What a 409 means, under each rule Loops might follow (its documentation leaves two questions open; see
 * `LoopsIdempotencyRule`): a send is reported delivered only when Loops has *this* event, and a key that belongs to
 * another event is reported as a conflict, never guessed into a success.
 */
import { firstValueFrom } from 'rxjs';
import { type LoopsDeliveryOutcome, LoopsIdempotencyConflictError, type SendEventInput } from '../lib';
import { expectDeliveredExactlyOnce } from './support/exactly-once';
import { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from './support/loops-testing-app';

const event: SendEventInput = { eventName: 'orderPaid', userId: 'user-1', eventProperties: { total: 42 } };
const quickRetry = { attempts: 4, minDelayMs: 5, maxDelayMs: 20 };

/** Sends `body` with `key` straight to the server, as another client of the same Loops team would. */
async function sendDirectly(server: LoopsCompatibleServer, key: string, body: object): Promise<number> {
  const response = await fetch(`${server.baseUrl}/events/send`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return response.status;
}

describe.each(LOOPS_IDEMPOTENCY_RULES)('idempotency when Loops follows the %s rule', (idempotencyRule) => {
  let server: LoopsCompatibleServer;
  let testing: LoopsTestingApp;

  beforeEach(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0, idempotencyRule });
    testing = await createLoopsTestingApp(server, { retry: quickRetry });
  });
  afterEach(async () => {
    await testing.app.close();
    await server.close();
  });

  it('an attempt accepted with its answer lost, then retried: delivered once, whatever the retry hears', async () => {
    server.script({ kind: 'accept-then-drop' });
    const result = await testing.loops.sendEvent(event);
    expect(result).toMatchObject({ success: true, attempts: 2 });
    // A 409 is reported as deduplicated; a replayed 200 can't be told from a first acceptance.
    expect(result.deduplicated).toBe(server.eventRequests()[1].status === 409);
    expectDeliveredExactlyOnce(server, ['user-1']);
  });

  it('an attempt accepted with its answer lost, then a definite refusal (429), then retried: still delivered once', async () => {
    // The 429 says nothing of the first attempt: the 409 that may follow is still this event's own key.
    server.script({ kind: 'accept-then-drop' }, { kind: 'status', status: 429, body: { success: false } });
    const result = await testing.loops.sendEvent(event);
    expect(result).toMatchObject({ success: true, attempts: 3 });
    const statuses = server.eventRequests().map((request) => request.status);
    expect(statuses.slice(0, 2)).toEqual([undefined, 429]);
    expect(result.deduplicated).toBe(statuses[2] === 409);
    expectDeliveredExactlyOnce(server, ['user-1']);
  });

  it('a send that failed after an attempt may have been accepted carries its generated key: sent again with it, delivered once', async () => {
    const once = await createLoopsTestingApp(server, { retry: { ...quickRetry, attempts: 2 } });
    try {
      // The first attempt is accepted and its answer lost; the second meets a 503 from the load balancer.
      server.script({ kind: 'accept-then-drop' }, { kind: 'status', status: 503, rawBody: '<html>busy</html>' });
      const error = await once.loops.sendEvent(event).catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ mayHaveBeenAccepted: true, idempotencyKey: expect.any(String) });

      await once.loops.sendEvent(event, { idempotencyKey: (error as { idempotencyKey: string }).idempotencyKey });
      expectDeliveredExactlyOnce(server, ['user-1']);
    } finally {
      await once.app.close();
    }
  });

  it('a key you chose that Loops already has, on the first request: delivered, deduplicated', async () => {
    expect(await sendDirectly(server, 'order-42', { ...event, eventProperties: { total: 41 } })).toBe(200);
    const result = await testing.loops.sendEvent(event, { idempotencyKey: 'order-42' });
    expect(result).toEqual({
      success: true,
      idempotencyKey: 'order-42',
      attempts: 1,
      deduplicated: true,
      dryRun: false,
    });
    expect(server.accepted).toHaveLength(1);
  });

  it('after a definite refusal (429), a 409 means the key belongs to another event: a conflict, not a success', async () => {
    // Another client's event already holds the key; this send is first refused for the rate limit, then hears 409.
    expect(await sendDirectly(server, 'order-43', { eventName: 'other', userId: 'user-2' })).toBe(200);
    server.script({ kind: 'status', status: 429, body: { success: false, message: 'Rate limit exceeded' } });
    const error = await testing.loops
      .sendEvent(event, { idempotencyKey: 'order-43' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LoopsIdempotencyConflictError);
    expect(error).toMatchObject({ status: 409, idempotencyKey: 'order-43' });
    expect(server.eventRequests().map((request) => request.status)).toEqual([200, 429, 409]);
    expect(server.accepted.map((accepted) => accepted.body.eventName)).toEqual(['other']);
  });

  it('the same rules in the background: a conflict is a failed outcome, a lost answer a sent one', async () => {
    const outcomes: LoopsDeliveryOutcome[] = [];
    testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
    expect(await sendDirectly(server, 'taken', { eventName: 'other', userId: 'user-9' })).toBe(200);
    server.script({ kind: 'status', status: 429 });
    testing.loops.enqueueEvent(event, { idempotencyKey: 'taken' });
    await testing.loops.flush();
    server.script({ kind: 'accept-then-drop' });
    testing.loops.enqueueEvent({ ...event, userId: 'user-2' }, { idempotencyKey: 'lost-answer' });
    await testing.loops.flush();
    expect(
      outcomes.map((outcome) => [outcome.status, outcome.status === 'dropped' ? undefined : outcome.idempotencyKey]),
    ).toEqual([
      ['failed', 'taken'],
      ['sent', 'lost-answer'],
    ]);
    expect(outcomes[0]).toMatchObject({ error: expect.any(LoopsIdempotencyConflictError), mayHaveBeenAccepted: false });
  });
});

describe('when a 429 uses up the key (rate-limited-too)', () => {
  it('the retry hears 409 and the event is reported failed as a conflict, never as delivered', async () => {
    const server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 1, idempotencyRule: 'rate-limited-too' });
    const testing = await createLoopsTestingApp(server, { retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 10 } });
    try {
      await testing.loops.sendEvent({ ...event, userId: 'first' });
      const failed = firstValueFrom(testing.loops.deliveries$);
      const key = testing.loops.enqueueEvent(event);
      await expect(failed).resolves.toMatchObject({
        status: 'failed',
        idempotencyKey: key,
        error: expect.any(LoopsIdempotencyConflictError),
      });
      expect(server.eventRequests().map((request) => request.status)).toEqual([200, 429, 409]);
      expect(server.accepted.map((accepted) => accepted.body.userId)).toEqual(['first']);
    } finally {
      await testing.app.close();
      await server.close();
    }
  });
});
