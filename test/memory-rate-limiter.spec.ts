import { performance } from 'node:perf_hooks';
import { MemoryRateLimiter } from '../lib/delivery/memory-rate-limiter';

/** Resolves to the release `acquire` gave within `ms` of real time, or `undefined` if it gave none. */
function acquiredWithin(limiter: MemoryRateLimiter, ms: number): Promise<(() => void) | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([limiter.acquire(), late]).finally(() => clearTimeout(timer));
}

describe('MemoryRateLimiter', () => {
  describe('a step of the system clock (NTP, a resumed VM)', () => {
    let offsetMs = 0;
    let now: jest.SpyInstance<number, []>;
    beforeEach(() => {
      offsetMs = 0;
      const realNow = Date.now.bind(Date);
      now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
    });
    afterEach(() => now.mockRestore());

    it('forward lets no more requests into a real second than the limit', async () => {
      const limiter = new MemoryRateLimiter(2);
      const grantedAt: number[] = [];
      for (let request = 0; request < 4; request++) {
        if (request === 2) offsetMs += 3_600_000;
        const release = await limiter.acquire();
        grantedAt.push(performance.now());
        release();
      }
      expect(grantedAt.filter((at) => at - grantedAt[0] < 1_000)).toHaveLength(2);
    });

    it('backward does not hold the slots for the size of the step', async () => {
      const limiter = new MemoryRateLimiter(1);
      (await limiter.acquire())();
      offsetMs -= 120_000;
      // The slot is free a second after its request ended, in real time; with the step counted, in two minutes.
      const release = await acquiredWithin(limiter, 3_000);
      expect(release).toBeDefined();
      release?.();
    });
  });

  describe("an app's tests with fake timers (jest's, vitest's), which fake performance.now() too", () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    /** Whether a slot asked for now is granted once the faked clock has moved `ms` on (released if so). */
    async function grantedAfter(limiter: MemoryRateLimiter, ms: number): Promise<boolean> {
      let release: (() => void) | undefined;
      void limiter.acquire().then((granted) => (release = granted));
      await jest.advanceTimersByTimeAsync(ms);
      release?.();
      return release !== undefined;
    }

    it('grants the next slot once the faked clock has passed the window', async () => {
      const limiter = new MemoryRateLimiter(1);
      (await limiter.acquire())();
      expect(await grantedAfter(limiter, 1_100)).toBe(true);
    });

    it('ends a pause once the faked clock has passed it', async () => {
      const limiter = new MemoryRateLimiter(10);
      limiter.pauseFor(5_000);
      expect(await grantedAfter(limiter, 5_100)).toBe(true);
    });

    it('does not grant a slot again exactly one window after its release', async () => {
      // A server that stamps arrivals in whole milliseconds could see the two requests of one slot 999 ms apart:
      // floor(t + 1000) - floor(t) is 999 when t's fraction is rounded down.
      const limiter = new MemoryRateLimiter(1);
      (await limiter.acquire())();
      let release: (() => void) | undefined;
      void limiter.acquire().then((granted) => (release = granted));
      await jest.advanceTimersByTimeAsync(1_000);
      expect(release).toBeUndefined();
      await jest.advanceTimersByTimeAsync(100);
      expect(release).toBeDefined();
      release?.();
    });
  });

  it('a wait that was aborted gives its place back, so the next request gets the slot', async () => {
    const limiter = new MemoryRateLimiter(1);
    const first = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal).catch((reason: unknown) => reason);
    controller.abort(new Error('gave up'));
    expect(await aborted).toEqual(new Error('gave up'));
    first();
    const release = await acquiredWithin(limiter, 3_000);
    expect(release).toBeDefined();
    release?.();
  });
});
