import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { LoopsModuleOptions, SendEventInput } from '../../../lib';
import { forkTs, killHard, nextMessage } from '../../support/child-process/fork-ts';
import { createLoopsTestingApp, type LoopsTestingApp, TEST_API_KEY } from '../../support/loops-testing-app';
import type { LoopsCompatibleServer } from '../../support/loops-server';
import { RedisTestServer } from '../../support/redis-server';
import type { FromInstance, InstanceSend, ToInstance } from './instance-protocol';

/** One event per user, so that the audit can tell logical events apart whatever their keys. */
export const userEvent = (index: number, eventName = 'bulk'): SendEventInput => ({
  eventName,
  userId: `user-${index}`,
});

/** An app instance in a child process, killable with SIGKILL. */
export interface ChildInstance {
  process: ChildProcess;
  outcomes: Extract<FromInstance, { type: 'outcome' }>[];
  enqueue(events: InstanceSend[]): Promise<string[]>;
  close(): Promise<void>;
  kill(): Promise<void>;
}

/** Apps and child processes made for one test, closed after it. */
export class BullMqTestBed {
  readonly queueName = `loops-test-${Math.random().toString(36).slice(2)}`;
  private readonly apps: LoopsTestingApp[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly queues: Queue[] = [];

  constructor(
    readonly redis: RedisTestServer,
    readonly server: LoopsCompatibleServer,
  ) {}

  /** The BullMQ delivery options every instance of this test shares, with `delivery` overrides on top. */
  options(
    options: Partial<LoopsModuleOptions> = {},
    delivery: Record<string, unknown> = {},
  ): Partial<LoopsModuleOptions> {
    return {
      ...options,
      delivery: {
        queue: 'bullmq',
        connection: this.redis.connection,
        queueName: this.queueName,
        lockDurationMs: 1_000,
        ...delivery,
      } as LoopsModuleOptions['delivery'],
    };
  }

  async instance(
    options: Partial<LoopsModuleOptions> = {},
    delivery: Record<string, unknown> = {},
    metadata: Parameters<typeof createLoopsTestingApp>[2] = {},
  ): Promise<LoopsTestingApp> {
    const testing = await createLoopsTestingApp(this.server, this.options(options, delivery), metadata);
    this.apps.push(testing);
    return testing;
  }

  /** Closes an instance made by `instance()` now (as a graceful restart would), rather than after the test. */
  async close(testing: LoopsTestingApp): Promise<void> {
    this.apps.splice(this.apps.indexOf(testing), 1);
    await testing.app.close();
  }

  async childInstance(
    options: Partial<LoopsModuleOptions> = {},
    delivery: Record<string, unknown> = {},
  ): Promise<ChildInstance> {
    const moduleOptions = {
      apiKey: TEST_API_KEY,
      baseUrl: this.server.baseUrl,
      rateLimit: false,
      retry: { attempts: 4, minDelayMs: 10, maxDelayMs: 50 },
      ...this.options(options, delivery),
    };
    const child = forkTs(join(__dirname, 'loops-instance.ts'), {
      LOOPS_INSTANCE: JSON.stringify({ options: moduleOptions }),
    });
    this.children.push(child);
    const outcomes: ChildInstance['outcomes'] = [];
    child.on('message', (message: FromInstance) => {
      if (message.type === 'outcome') outcomes.push(message);
    });
    await nextMessage(child, 'ready');
    const post = (message: ToInstance) => child.send(message);
    return {
      process: child,
      outcomes,
      enqueue: async (events) => {
        const enqueued = nextMessage<Extract<FromInstance, { type: 'enqueued' }>>(child, 'enqueued');
        post({ type: 'enqueue', events });
        return (await enqueued).keys;
      },
      close: async () => {
        const closed = nextMessage(child, 'closed', 30_000);
        post({ type: 'close' });
        await closed;
      },
      kill: () => killHard(child),
    };
  }

  /** A BullMQ queue handle of the test's own, to look at the jobs in Redis. */
  queue(): Queue {
    const queue = new Queue(this.queueName, { connection: this.redis.connection });
    this.queues.push(queue);
    return queue;
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((testing) => testing.app.close()));
    await Promise.all(this.children.splice(0).map((child) => killHard(child)));
    await Promise.all(this.queues.splice(0).map((queue) => queue.close()));
  }
}
