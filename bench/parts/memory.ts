/**
 * Part 4, memory. Two processes: the client (`children/memory.ts`, with --expose-gc) and a Loops-compatible server
 * that holds every request for ten minutes, a stalled Loops.
 */
import type { MemoryInput, MemoryOutput } from '../children/memory';
import { LoopsServerProcess, runTask } from '../support/processes';

export type MemorySettings = Omit<MemoryInput, 'baseUrl'>;

export async function measureMemory(settings: MemorySettings): Promise<MemoryOutput & { settings: MemorySettings }> {
  const server = await LoopsServerProcess.start({ rateLimit: 0, delayMs: 600_000 });
  try {
    const output = await runTask<MemoryInput, MemoryOutput>(
      'memory',
      { ...settings, baseUrl: server.baseUrl },
      { execArgv: ['--expose-gc'], timeoutMs: 60_000 },
    );
    return { settings, ...output };
  } finally {
    await server.stop();
  }
}
