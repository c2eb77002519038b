import { EndOfTurnBatch } from '../lib/utils/end-of-turn-batch';

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('EndOfTurnBatch', () => {
  it('handles the items of a turn at its end, in the order they came', async () => {
    const handled: string[] = [];
    const batch = new EndOfTurnBatch<string>((item) => handled.push(item));
    batch.add('a');
    batch.add('b');
    expect(handled).toEqual([]);
    await endOfTurn();
    expect(handled).toEqual(['a', 'b']);
  });

  it('an item that throws does not keep the later ones from being handled; drain() throws its error after them', () => {
    const handled: string[] = [];
    const batch = new EndOfTurnBatch<string>((item) => {
      handled.push(item);
      if (item.startsWith('bad')) throw new Error(`cannot handle ${item}`);
    });
    for (const item of ['a', 'bad-1', 'b', 'bad-2', 'c']) batch.add(item);
    expect(() => batch.drain()).toThrow('cannot handle bad-1');
    expect(handled).toEqual(['a', 'bad-1', 'b', 'bad-2', 'c']);
    // Nothing is left over to be handled twice.
    batch.drain();
    expect(handled).toHaveLength(5);
  });
});
