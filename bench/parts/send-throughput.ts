/**
 * Part 2, send throughput. Two processes: the senders (`children/send-throughput.ts`) and the Loops-compatible
 * server without a rate limit, each in its own.
 */
import type { Contender, SendThroughputInput, SendThroughputOutput } from '../children/send-throughput';
import { LoopsServerProcess, runTask } from '../support/processes';
import { median, round } from '../support/stats';

export type SendThroughputSettings = Omit<SendThroughputInput, 'url' | 'baseUrl'>;

export interface SendThroughputResult {
  settings: SendThroughputSettings;
  /** Median events/s of each contender. */
  eventsPerSecond: Record<Contender, number>;
  /** Median over the rounds of each contender's events/s divided by the SDK's in the same round. */
  ratioToSdk: Record<Contender, number>;
  /** Median client CPU µs per event. */
  cpuMicrosPerEvent: Record<Contender, number>;
  failures: Record<Contender, number>;
  rounds: SendThroughputOutput['rounds'];
  firstError?: string;
  server: { accepted: number; requests: number; rateLimited: number };
}

export async function measureSendThroughput(settings: SendThroughputSettings): Promise<SendThroughputResult> {
  const server = await LoopsServerProcess.start({ rateLimit: 0 });
  try {
    const output = await runTask<SendThroughputInput, SendThroughputOutput>(
      'send-throughput',
      { ...settings, url: server.url, baseUrl: server.baseUrl },
      { timeoutMs: 150_000 },
    );
    const contenders = Object.keys(output.rounds[0].eventsPerSecond) as Contender[];
    const eventsPerSecond = {} as Record<Contender, number>;
    const ratioToSdk = {} as Record<Contender, number>;
    const failures = {} as Record<Contender, number>;
    const cpuMicrosPerEvent = {} as Record<Contender, number>;
    for (const contender of contenders) {
      cpuMicrosPerEvent[contender] = round(median(output.rounds.map((r) => r.cpuMicrosPerEvent[contender])), 1);
      eventsPerSecond[contender] = round(median(output.rounds.map((r) => r.eventsPerSecond[contender])), 0);
      ratioToSdk[contender] = round(
        median(output.rounds.map((r) => r.eventsPerSecond[contender] / r.eventsPerSecond['loops SDK'])),
        3,
      );
      failures[contender] = output.rounds.reduce((sum, r) => sum + r.failures[contender], 0);
    }
    const rounded = (values: Record<Contender, number>, digits: number): Record<Contender, number> =>
      Object.fromEntries(Object.entries(values).map(([name, value]) => [name, round(value, digits)])) as Record<
        Contender,
        number
      >;
    const rounds = output.rounds.map((r) => ({
      ...r,
      eventsPerSecond: rounded(r.eventsPerSecond, 0),
      cpuMicrosPerEvent: rounded(r.cpuMicrosPerEvent, 1),
    }));
    return {
      settings,
      eventsPerSecond,
      ratioToSdk,
      cpuMicrosPerEvent,
      failures,
      rounds,
      firstError: output.firstError,
      server: await server.stats(),
    };
  } finally {
    await server.stop();
  }
}
