import { randomUuid } from '../lib/utils/random-uuid';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuid, the generated idempotency key', () => {
  // 4,000 keys: the 4 KiB pool of random bytes is refilled 15 times on the way.
  const keys = Array.from({ length: 4_000 }, randomUuid);

  it('is a version 4 UUID every time, and never repeats', () => {
    expect(keys.filter((key) => !UUID_V4.test(key))).toEqual([]);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('takes fresh random bytes for each key: none repeats a run of bytes of the key before it', () => {
    // Any 5 bytes of a key against any 5 of the previous one: 144 pairs of 40 random bits, equal by chance about never.
    const runs = (key: string) => {
      const bytes = Buffer.from(key.replace(/-/g, ''), 'hex');
      return Array.from({ length: 12 }, (_, at) => bytes.subarray(at, at + 5).toString('hex'));
    };
    const repeated = keys.slice(1).filter((key, index) => {
      const before = new Set(runs(keys[index]));
      return runs(key).some((run) => before.has(run));
    });
    expect(repeated).toEqual([]);
  });

  const randomPositions = [...keys[0]].flatMap((character, at) =>
    character === '-' || at === 14 || at === 19 ? [] : [at],
  );

  it('draws every random hex digit evenly: no position is stuck or biased', () => {
    expect(randomPositions).toHaveLength(30);
    for (const at of randomPositions) {
      const counts = new Map<string, number>();
      for (const key of keys) counts.set(key[at], (counts.get(key[at]) ?? 0) + 1);
      // 4,000 draws over 16 digits: 250 each on average; 150 and 350 are over six standard deviations away.
      expect(counts.size).toBe(16);
      for (const count of counts.values()) expect(count).toBeGreaterThan(150);
      for (const count of counts.values()) expect(count).toBeLessThan(350);
    }
  });

  it('draws the positions independently: no digit copies another', () => {
    for (const [index, p] of randomPositions.entries()) {
      for (const q of randomPositions.slice(index + 1)) {
        // Independent digits match in 1 key of 16 (250 of 4,000); a copied byte would match in all of them.
        expect(keys.filter((key) => key[p] === key[q]).length).toBeLessThan(350);
      }
    }
  });
});
