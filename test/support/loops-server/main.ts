import { LoopsCompatibleServer } from './loops-compatible-server';

/** Messages exchanged with a parent process over the IPC channel, when the server runs as a forked child. */
export type LoopsServerCliMessage =
  | { type: 'listening'; url: string; baseUrl: string }
  | { type: 'stats'; accepted: number; requests: number; rateLimited: number };

export interface LoopsServerCliIo {
  /** Writes one line to stdout. */
  print(line: string): void;
  /** Sends a message to the parent process; absent when there is no IPC channel. */
  send?(message: LoopsServerCliMessage): void;
}

export interface LoopsServerCli {
  server: LoopsCompatibleServer;
  /** The line printed once listening: JSON `{ url, baseUrl }`. */
  line: string;
  /** Answers a message from the parent (`{ type: 'stats' }`); anything else is ignored. */
  handleMessage(message: unknown): void;
}

function readNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0, got '${text}'`);
  return value;
}

/** Starts a server configured from the environment and announces where it listens. */
export async function runLoopsServerCli(env: NodeJS.ProcessEnv, io: LoopsServerCliIo): Promise<LoopsServerCli> {
  const delayMs = readNumber(env, 'LOOPS_SERVER_DELAY_MS', 0);
  const server = await LoopsCompatibleServer.start({
    port: readNumber(env, 'PORT', 0),
    apiKey: env.LOOPS_SERVER_API_KEY || 'test-key',
    rateLimitPerSecond: readNumber(env, 'LOOPS_SERVER_RATE_LIMIT', 10),
  });
  if (delayMs > 0) server.respondWith(() => ({ kind: 'delay', ms: delayMs }));

  const { url, baseUrl } = server;
  const line = JSON.stringify({ url, baseUrl });
  io.print(line);
  io.send?.({ type: 'listening', url, baseUrl });

  const handleMessage = (message: unknown): void => {
    if ((message as { type?: unknown } | null)?.type !== 'stats') return;
    io.send?.({
      type: 'stats',
      accepted: server.accepted.length,
      // Events/send requests only, so that a parent can tell retries (requests - accepted) from health checks.
      requests: server.eventRequests().length,
      rateLimited: server.requests.filter((request) => request.status === 429).length,
    });
  };
  return { server, line, handleMessage };
}

if (require.main === module) {
  runLoopsServerCli(process.env, {
    print: (line) => process.stdout.write(`${line}\n`),
    send: process.send?.bind(process),
  }).then(
    ({ server, handleMessage }) => {
      process.on('message', handleMessage);
      const stop = async (): Promise<void> => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
