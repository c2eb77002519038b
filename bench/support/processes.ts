import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_API_KEY } from './workload';
import type {
  AcceptedKeysMessage,
  ContactsMessage,
  MaxInWindowMessage,
  ServerStatsMessage,
} from '../children/loops-server';

/** The compiled child entry points, next to this file's compiled folder. */
const CHILDREN_DIR = join(__dirname, '..', 'children');

interface ForkOptions {
  env?: Record<string, string>;
  execArgv?: string[];
  /** The server prints its address on stdout; the table must not be interleaved with it. */
  quiet?: boolean;
}

/**
 * `BENCH_CPU_PROF=<dir>` makes the app and task children write a V8 CPU profile there (`node --cpu-prof`), for
 * finding what a missed target spends its time on. The Loops server child is never profiled.
 */
function profileArgs(name: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir || name === 'loops-server') return [];
  // Numbered: a child forked once per configuration must not overwrite the profile of the one before.
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}-${++profilesWritten}.cpuprofile`];
}

let profilesWritten = 0;

export function forkChild(name: string, options: ForkOptions = {}): ChildProcess {
  return fork(join(CHILDREN_DIR, `${name}.js`), [], {
    env: { ...process.env, ...options.env },
    // Not the parent's flags: each child gets exactly the flags its measurement needs.
    execArgv: [...(options.execArgv ?? []), ...profileArgs(name)],
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
}

/** The next message of `type` from `child`; rejects when the child reports an error, exits or takes too long. */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: { type?: string; message?: string }): void => {
      if (message?.type === type) {
        cleanup();
        resolve(message as T);
      } else if (message?.type === 'error') {
        cleanup();
        reject(new Error(`child failed: ${message.message}`));
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`child exited (${code ?? signal}) before sending "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no "${type}" message from the child within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks the child to stop (SIGTERM), and kills it if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs one measurement in a fresh child process (`children/<name>.js`): sends it `input` and resolves with the
 * result it sends back. A fresh process per measurement keeps heaps and JIT state from leaking between parts.
 */
export async function runTask<I, O>(
  name: string,
  input: I,
  options: ForkOptions & { timeoutMs?: number } = {},
): Promise<O> {
  const child = forkChild(name, options);
  try {
    const result = nextMessage<{ result: O }>(child, 'result', options.timeoutMs ?? 60_000);
    child.send({ type: 'run', input });
    return (await result).result;
  } finally {
    await stopChild(child);
  }
}

export interface LoopsServerSettings {
  /** Requests per sliding second; 0 = unlimited. */
  rateLimit: number;
  /** Every events/send request waits this long before it is processed (a stalled Loops). */
  delayMs?: number;
}

/** The local Loops-compatible server, in a process of its own (see children/loops-server.ts). */
export class LoopsServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly baseUrl: string,
  ) {}

  static async start(settings: LoopsServerSettings): Promise<LoopsServerProcess> {
    const child = forkChild('loops-server', {
      quiet: true,
      env: {
        PORT: '0',
        LOOPS_SERVER_API_KEY: BENCH_API_KEY,
        LOOPS_SERVER_RATE_LIMIT: String(settings.rateLimit),
        LOOPS_SERVER_DELAY_MS: String(settings.delayMs ?? 0),
      },
    });
    try {
      const { url, baseUrl } = await nextMessage<{ url: string; baseUrl: string }>(child, 'listening', 15_000);
      return new LoopsServerProcess(child, url, baseUrl);
    } catch (error) {
      await stopChild(child);
      throw error;
    }
  }

  async stats(): Promise<Omit<ServerStatsMessage, 'type'>> {
    const reply = nextMessage<ServerStatsMessage>(this.child, 'stats', 10_000);
    this.child.send({ type: 'stats' });
    const { accepted, requests, rateLimited } = await reply;
    return { accepted, requests, rateLimited };
  }

  async acceptedKeys(): Promise<Omit<AcceptedKeysMessage, 'type'>> {
    const reply = nextMessage<AcceptedKeysMessage>(this.child, 'accepted-keys', 10_000);
    this.child.send({ type: 'accepted-keys' });
    const { keys, statuses } = await reply;
    return { keys, statuses };
  }

  /**
   * The most events/send requests (with `allEndpoints`, requests to any endpoint) that arrived in any sliding window
   * of `windowMs` (`maxInAnyWindow()`).
   */
  async maxInAnyWindow(windowMs: number, allEndpoints = false): Promise<number> {
    const reply = nextMessage<MaxInWindowMessage>(this.child, 'max-in-window', 10_000);
    this.child.send({ type: 'max-in-window', windowMs, allEndpoints });
    return (await reply).max;
  }

  /** How many contacts the server holds. */
  async contactCount(): Promise<number> {
    const reply = nextMessage<ContactsMessage>(this.child, 'contacts', 10_000);
    this.child.send({ type: 'contacts' });
    return (await reply).count;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
