/**
 * The child side of `runTask()`: waits for `{ type: 'run', input }`, runs `task`, sends `{ type: 'result', result }`
 * (or `{ type: 'error' }`) and exits, whatever handles (stalled sockets, a queue) are still open.
 */
export function serveTask<I, O>(task: (input: I) => Promise<O>): void {
  const finish = (message: object, code: number): void => {
    if (process.send) process.send(message, () => process.exit(code));
    else process.exit(code);
  };
  process.once('message', (message: { type?: string; input?: I }) => {
    if (message?.type !== 'run') return finish({ type: 'error', message: 'expected a run message' }, 1);
    task(message.input as I).then(
      (result) => finish({ type: 'result', result }, 0),
      (error: unknown) => finish({ type: 'error', message: error instanceof Error ? error.stack : String(error) }, 1),
    );
  });
  process.once('disconnect', () => process.exit(1));
}
