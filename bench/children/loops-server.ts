/**
 * The local Loops-compatible server as its own process: `test/support/loops-server/main.ts`'s CLI
 * (`runLoopsServerCli`: env PORT, LOOPS_SERVER_API_KEY, LOOPS_SERVER_RATE_LIMIT, LOOPS_SERVER_DELAY_MS, the JSON
 * line, the IPC `listening` and `stats` messages), started the way main.ts starts it, plus two IPC messages of the
 * benchmark's own: `accepted-keys`, the idempotency key of every accepted event and the count of each status
 * answered (the stats count 429s; telling lost and duplicated events apart needs the keys themselves), and
 * `max-in-window`, the most events/send requests that arrived in any sliding window of `windowMs`
 * (`maxInAnyWindow()`; or over every endpoint), which shows whether clients kept to the limit, not only whether
 * they were refused; and `contacts`, how many contacts it holds.
 */
import { runLoopsServerCli, type LoopsServerCliMessage } from '../../test/support/loops-server/main';

export type ServerStatsMessage = Extract<LoopsServerCliMessage, { type: 'stats' }>;

export interface AcceptedKeysMessage {
  type: 'accepted-keys';
  keys: string[];
  /** Events/send requests by the status they were answered (`none` while pending or when dropped). */
  statuses: Record<string, number>;
}

export interface ContactsMessage {
  type: 'contacts';
  /** The contacts the server holds. */
  count: number;
}

export interface MaxInWindowMessage {
  type: 'max-in-window';
  windowMs: number;
  /** Counted over every endpoint (events, transactional, contacts) rather than events/send alone. */
  allEndpoints?: boolean;
  /** Events/send requests (answered or not) that arrived in the busiest sliding window of `windowMs`. */
  max: number;
}

runLoopsServerCli(process.env, {
  print: (line) => process.stdout.write(`${line}\n`),
  send: (message) => process.send?.(message),
}).then(
  ({ server, handleMessage }) => {
    process.on('message', (message: { type?: string; windowMs?: number; allEndpoints?: boolean }) => {
      if (message?.type === 'max-in-window') {
        const windowMs = message.windowMs ?? 1_000;
        const { allEndpoints } = message;
        const max = allEndpoints ? server.maxInAnyWindow(windowMs, server.requests) : server.maxInAnyWindow(windowMs);
        process.send?.({ type: 'max-in-window', windowMs, allEndpoints, max } satisfies MaxInWindowMessage);
        return;
      }
      if (message?.type === 'contacts') {
        process.send?.({ type: 'contacts', count: server.contacts.all.length } satisfies ContactsMessage);
        return;
      }
      if (message?.type !== 'accepted-keys') return handleMessage(message);
      const statuses: Record<string, number> = {};
      for (const request of server.eventRequests()) {
        const status = String(request.status ?? 'none');
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      const keys = server.accepted.map((event) => event.idempotencyKey ?? '');
      process.send?.({ type: 'accepted-keys', keys, statuses } satisfies AcceptedKeysMessage);
    });
    const stop = async (): Promise<void> => {
      await server.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
    // Never outlive the benchmark, even when it is killed.
    process.once('disconnect', () => void stop());
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
