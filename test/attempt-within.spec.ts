import { attemptWithin } from '../lib/delivery/attempt-within';
import type { LoopsTransport, LoopsTransportRequest, LoopsTransportResponse } from '../lib/transport/loops-transport';

/** One attempt's deadline, shared by the sender and the account reader (verify, the CLI). */
describe('attemptWithin', () => {
  const request = { method: 'GET' as const, url: 'http://127.0.0.1:1/v1/api-key', headers: {} };
  const timedOut = (cause: unknown) => new Error(`timed out after: ${String(cause)}`);

  /** A transport that never answers and never looks at its signal (a hung axios interceptor, say). */
  function deafTransport(seen: LoopsTransportRequest[] = []): LoopsTransport {
    return {
      send: (sent) => {
        seen.push(sent);
        return new Promise<LoopsTransportResponse>(() => undefined);
      },
    };
  }

  it('answers what the transport answered, with the request it was given and a live signal', async () => {
    const seen: LoopsTransportRequest[] = [];
    const transport: LoopsTransport = {
      send: (sent) => {
        seen.push(sent);
        return Promise.resolve({ status: 200, headers: {}, body: { success: true } });
      },
    };

    await expect(attemptWithin(transport, request, 1_000, undefined, timedOut)).resolves.toMatchObject({ status: 200 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject(request);
    expect(seen[0].signal.aborted).toBe(false);
  });

  it("throws timedOut's error once timeoutMs passed, though the transport ignores its aborted signal", async () => {
    const seen: LoopsTransportRequest[] = [];

    await expect(attemptWithin(deafTransport(seen), request, 20, undefined, timedOut)).rejects.toThrow(
      /^timed out after: /,
    );
    expect(seen[0].signal.aborted).toBe(true);
  });

  it("throws the caller's reason, not a timeout, when the caller aborts first or had already aborted", async () => {
    const caller = new AbortController();
    const running = attemptWithin(deafTransport(), request, 60_000, caller.signal, timedOut);
    caller.abort(new Error('shutting down'));
    await expect(running).rejects.toThrow('shutting down');

    const seen: LoopsTransportRequest[] = [];
    await expect(attemptWithin(deafTransport(seen), request, 60_000, caller.signal, timedOut)).rejects.toThrow(
      'shutting down',
    );
    expect(seen[0].signal.aborted).toBe(true);
  });

  it("passes the transport's own error through untouched", async () => {
    const failure = new Error('ECONNREFUSED');
    const transport: LoopsTransport = { send: () => Promise.reject(failure) };

    await expect(attemptWithin(transport, request, 1_000, undefined, timedOut)).rejects.toBe(failure);
  });
});
