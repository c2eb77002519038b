/** The retry rules the README states, on their own: backoff, jitter, the 429 window, Retry-After, which status retries. */
import { type EarlierAttempts, judgeAnswer, NO_EARLIER_ATTEMPTS } from '../lib/delivery/attempt-result';
import { backoffDelay, RATE_LIMIT_WINDOW_MS, retryDelay } from '../lib/delivery/backoff';
import { LoopsApiError, LoopsAuthError, LoopsIdempotencyConflictError, LoopsRateLimitError } from '../lib';

const policy = { minDelayMs: 500, maxDelayMs: 30_000 };
const lowest = () => 0;
const highest = () => 1 - Number.EPSILON;

describe('backoffDelay', () => {
  it.each([
    [1, 500],
    [2, 1_000],
    [3, 2_000],
    [6, 16_000],
    [7, 30_000],
    [20, 30_000],
  ])(
    'before attempt %i + 1: between half of %i ms and all of it (equal jitter), capped at maxDelayMs',
    (attempt, ceiling) => {
      expect(backoffDelay(attempt, policy, lowest)).toBe(ceiling / 2);
      expect(backoffDelay(attempt, policy, highest)).toBeCloseTo(ceiling, 5);
      expect(backoffDelay(attempt, policy, () => 0.5)).toBe((ceiling * 3) / 4);
    },
  );

  it('spreads clients that failed together over half the ceiling', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });
});

describe('retryDelay', () => {
  it('after a 429: a whole window, then the jittered backoff on top', () => {
    expect(retryDelay(1, { rateLimited: true }, policy, lowest)).toBe(RATE_LIMIT_WINDOW_MS + 250);
    expect(retryDelay(1, { rateLimited: true }, policy, highest)).toBeCloseTo(RATE_LIMIT_WINDOW_MS + 500, 5);
  });

  it("takes the server's Retry-After as a floor, never shortening the backoff", () => {
    expect(retryDelay(1, { rateLimited: false, retryAfterMs: 5_000 }, policy, lowest)).toBe(5_000);
    expect(retryDelay(7, { rateLimited: false, retryAfterMs: 5_000 }, policy, lowest)).toBe(15_000);
  });
});

describe('judgeAnswer', () => {
  const context: { idempotencyKey: string; keyChosenByCaller: boolean; earlier: EarlierAttempts } = {
    idempotencyKey: 'k',
    keyChosenByCaller: false,
    earlier: NO_EARLIER_ATTEMPTS,
  };
  const judge = (status: number, headers: Record<string, string> = {}, over: Partial<typeof context> = {}) =>
    judgeAnswer({ status, headers }, { status }, { ...context, ...over });

  it.each([200, 201, 204])("%i with Loops' JSON is accepted", (status) => {
    const body = { success: true };
    expect(judgeAnswer({ status, headers: {}, body }, { status, body }, context)).toEqual({
      outcome: 'accepted',
      deduplicated: false,
    });
  });

  it("a 2xx saying success: false is Loops' refusal, with its message", () => {
    const body = { success: false, message: 'Contact not found.' };
    const judged = judgeAnswer({ status: 200, headers: {}, body }, { status: 200, body }, context);
    expect(judged).toMatchObject({ outcome: 'refused', error: expect.any(LoopsApiError) });
    expect(judged.outcome === 'refused' && judged.error.message).toBe('Loops answered 200: Contact not found.');
  });

  it.each([
    ['an HTML page', { rawBody: '<html>Sign in</html>' }],
    ['no body', {}],
    ['a JSON array', { body: [] }],
    ['a JSON string', { body: 'ok' }],
  ])('a 2xx with %s acknowledges nothing: retried, as one that may have reached Loops', (_what, answer) => {
    const judged = judgeAnswer({ status: 200, headers: {}, ...answer }, { status: 200, ...answer }, context);
    expect(judged).toMatchObject({ outcome: 'retryable', unknown: true, rateLimited: false });
    expect(judged.outcome === 'retryable' && judged.error.message).toBe(
      "Loops answered 200 without acknowledging: the body is not Loops' JSON",
    );
  });

  it.each([
    [408, false],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
  ])('%i is retried (outcome unknown: %s)', (status, unknown) => {
    expect(judge(status)).toMatchObject({
      outcome: 'retryable',
      unknown,
      rateLimited: false,
      error: expect.any(LoopsApiError),
    });
  });

  it.each([400, 404, 405, 413, 422, 501, 505])('%i is a refusal, not retried', (status) => {
    expect(judge(status)).toMatchObject({ outcome: 'refused', error: expect.any(LoopsApiError) });
  });

  it.each([401, 403])('%i is an auth refusal', (status) => {
    expect(judge(status)).toMatchObject({ outcome: 'refused', error: expect.any(LoopsAuthError) });
  });

  it('429 is retried, rate limited, with its x-ratelimit-* headers read', () => {
    const result = judge(429, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' });
    expect(result).toMatchObject({ outcome: 'retryable', unknown: false, rateLimited: true });
    expect(result.outcome === 'retryable' && result.error).toMatchObject({ limit: 10, remaining: 0 });
    expect(result.outcome === 'retryable' && result.error).toBeInstanceOf(LoopsRateLimitError);
  });

  it('reads Retry-After as seconds or as an HTTP date, and bounds it', () => {
    expect(judge(503, { 'retry-after': '7' })).toMatchObject({ retryAfterMs: 7_000 });
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    expect((judge(503, { 'retry-after': inTwoMinutes }) as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(
      110_000,
    );
    expect(judge(429, { 'retry-after': '86400' })).toMatchObject({ retryAfterMs: 300_000 });
    expect(judge(503, { 'retry-after': 'soon' })).toMatchObject({ retryAfterMs: undefined });
  });

  describe('409', () => {
    it('after an attempt whose outcome was unknown: this event, delivered earlier', () => {
      expect(judge(409, {}, { earlier: { made: true, unknown: true } })).toEqual({
        outcome: 'accepted',
        deduplicated: true,
      });
    });

    it("on the first request with the caller's key: the logical event the key names, delivered earlier", () => {
      expect(judge(409, {}, { keyChosenByCaller: true })).toEqual({ outcome: 'accepted', deduplicated: true });
    });

    it.each([
      ['a generated key, first request', {}],
      ['after definite refusals only', { earlier: { made: true, unknown: false } }],
      [
        "the caller's key after definite refusals only",
        { earlier: { made: true, unknown: false }, keyChosenByCaller: true },
      ],
    ])('%s: a conflict, the key belongs to another event', (_name, over) => {
      expect(judge(409, {}, over)).toMatchObject({
        outcome: 'refused',
        error: expect.any(LoopsIdempotencyConflictError),
      });
    });
  });
});
