import { join } from 'node:path';
import { forkTs, nextMessage } from './support/child-process/fork-ts';

const probe = join(__dirname, 'support', 'unhandled-rejection-probe.ts');

async function run(mode: 'library' | 'leak'): Promise<string[]> {
  const child = forkTs(probe, { PROBE: mode });
  const { seen } = await nextMessage<{ type: 'report'; seen: string[] }>(child, 'report', 60_000);
  return seen;
}

describe('unhandled rejections and uncaught exceptions, observed by Node in a process of its own', () => {
  it('every failure path of the library leaves none', async () => {
    expect(await run('library')).toEqual([]);
  }, 90_000);

  it('the probe does see one when it is there', async () => {
    expect(await run('leak')).toEqual(['unhandledRejection: Error: left unhandled on purpose']);
  }, 30_000);
});
