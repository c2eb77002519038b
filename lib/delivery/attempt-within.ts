import type { LoopsTransport, LoopsTransportRequest, LoopsTransportResponse } from '../transport/loops-transport';
import { untilAborted } from '../utils/until-aborted';

/**
 * One request through the transport, cut off after `timeoutMs` or as soon as `callerSignal` aborts, whether or not the
 * transport reads the signal it is handed. When the time ran out (and the caller didn't abort) it throws what
 * `timedOut` makes of the transport's error; otherwise it throws what the transport, or the abort, threw.
 */
export async function attemptWithin(
  transport: LoopsTransport,
  request: Omit<LoopsTransportRequest, 'signal'>,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  timedOut: (cause: unknown) => Error,
): Promise<LoopsTransportResponse> {
  // One controller and a cleared timer: AbortSignal.timeout/any cost more per request and keep their timers alive
  // long after the answer.
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, timeoutMs);
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  // A limiter of the app's own may not have looked at the signal.
  if (callerSignal?.aborted) onCallerAbort();
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return await untilAborted(transport.send({ ...request, signal: controller.signal }), controller.signal);
  } catch (error) {
    if (expired && !callerSignal?.aborted) throw timedOut(error);
    throw error;
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}
