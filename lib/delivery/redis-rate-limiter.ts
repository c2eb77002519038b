import { randomUUID } from 'node:crypto';
import { LoopsQueueUnavailableError } from '../errors/loops-queue-unavailable.error';
import { abortableSleep } from '../utils/abortable-sleep';
import { LoopsRateLimiter } from './loops-rate-limiter';
import { rateLimitSlots, rateLimitWindowMs } from './rate-limit-pace';

/** The part of an ioredis client the limiter uses. */
export interface RedisScriptClient {
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

// Slots live in a sorted set scored by the time each frees up, read from Redis' own clock so that all
// instances agree. A slot taken is held until `now + holdMs` (the longest an attempt can last plus a
// window), so a crashed instance can't hold it forever; release shortens it to `finish + windowMs`.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`;

const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
return 0
`;

const FORGET = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

// Extends a pause, never shortens one another instance set.
const PAUSE = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`;

/** A slot in flight frees up early when its request ends; waiting longer than this between checks wastes slots. */
const MAX_POLL_MS = 50;

/**
 * The sliding-window limiter of `RateLimiter`, shared by every instance through Redis: at most
 * `requestsPerSecond` requests (rounded down above 1) in any one-second window, counted from start to end plus a
 * window.
 */
export class RedisRateLimiter extends LoopsRateLimiter {
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly slotsKey: string;
  private readonly pauseKey: string;

  constructor(
    private readonly redis: RedisScriptClient,
    keyPrefix: string,
    requestsPerSecond: number,
    /** The longest one attempt may hold a slot (its timeout). */
    private readonly maxAttemptMs: number,
  ) {
    super();
    this.capacity = rateLimitSlots(requestsPerSecond);
    this.windowMs = Math.ceil(rateLimitWindowMs(requestsPerSecond)) + 2;
    this.slotsKey = `${keyPrefix}:rate-limit`;
    this.pauseKey = `${keyPrefix}:rate-limit:paused`;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    const member = randomUUID();
    const holdMs = this.maxAttemptMs + this.windowMs;
    for (;;) {
      let wait: number;
      try {
        wait = Number(
          await this.ask(
            this.redis.eval(ACQUIRE, 2, this.slotsKey, this.pauseKey, this.capacity, holdMs, member),
            signal,
          ),
        );
      } catch (error) {
        // Given up on (an abort, no answer in time), the script may still run and take a slot no request will use
        // or release. Sent after it on the same connection, this takes it back.
        this.redis.eval(FORGET, 1, this.slotsKey, member).catch(() => undefined);
        throw error;
      }
      if (wait <= 0) break;
      await abortableSleep(Math.min(wait, MAX_POLL_MS), signal);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A release that fails leaves the slot to expire on its own after holdMs: slower, never over the limit.
      this.redis.eval(RELEASE, 1, this.slotsKey, member, this.windowMs).catch(() => undefined);
    };
  }

  pauseFor(ms: number): void {
    if (ms <= 0) return;
    this.redis.eval(PAUSE, 1, this.pauseKey, Math.ceil(ms)).catch(() => undefined);
  }

  /**
   * Redis' answer, within the longest an attempt may take: while Redis is away, a send fails saying so (and that
   * nothing went to Loops) instead of hanging or blaming Loops.
   */
  private async ask(command: Promise<unknown>, signal?: AbortSignal): Promise<unknown> {
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timedOut = abortableSleep(this.maxAttemptMs, stop.signal).then(() => {
      throw new Error(`no answer within ${this.maxAttemptMs} ms`);
    });
    try {
      return await Promise.race([command, timedOut]);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = error instanceof Error ? error.message : String(error);
      throw new LoopsQueueUnavailableError(
        `Redis, which keeps the shared Loops rate limit, is unavailable (${reason}); nothing was sent to Loops`,
      );
    } finally {
      stop.abort();
      signal?.removeEventListener('abort', onAbort);
      timedOut.catch(() => undefined);
      command.catch(() => undefined);
    }
  }
}
