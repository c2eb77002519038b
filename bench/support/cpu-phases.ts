import { runPool } from './workload';

/** What `count` awaited calls cost: CPU per call, calls per second, and the calls that threw. */
export async function measureAwaited(
  count: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
): Promise<{ cpuMicros: number; perSecond: number; failures: number; firstError?: string }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { failures, firstError } = await runPool(count, concurrency, call);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / count, perSecond: count / seconds, failures, firstError };
}

/** What `count` background sends cost in CPU each, from the enqueue to the end of the flush. */
export async function measureBackground(
  count: number,
  enqueue: (i: number) => void,
  flush: () => Promise<unknown>,
): Promise<{ cpuMicros: number }> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) enqueue(i);
  await flush();
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / count };
}
