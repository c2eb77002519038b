import { untilAborted } from '../lib/utils/until-aborted';

/** Work that may ignore its signal, raced against it (the sender, the account reader, the health key check). */
describe('untilAborted', () => {
  function pending(): { work: Promise<number>; settle: (value: number) => void } {
    let settle!: (value: number) => void;
    return { work: new Promise<number>((resolve) => (settle = resolve)), settle };
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('settles as the work does while the signal stays quiet', async () => {
    const { work, settle } = pending();
    const racing = untilAborted(work, new AbortController().signal);
    settle(7);
    await expect(racing).resolves.toBe(7);
  });

  it("rejects with the signal's reason at once, and hands a value that comes later to discard", async () => {
    const { work, settle } = pending();
    const controller = new AbortController();
    const discarded: number[] = [];
    const racing = untilAborted(work, controller.signal, (late) => discarded.push(late));

    controller.abort(new Error('deadline'));
    await expect(racing).rejects.toThrow('deadline');
    settle(7);
    await turn();

    expect(discarded).toEqual([7]);
  });

  it('drops what discard throws instead of leaving an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { work, settle } = pending();
      const controller = new AbortController();
      const racing = untilAborted(work, controller.signal, () => {
        throw new Error('release failed');
      });
      controller.abort(new Error('deadline'));
      await expect(racing).rejects.toThrow('deadline');
      settle(7);
      await turn();
      await turn();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
