import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { LoopsShutdownError } from '../errors/loops-shutdown.error';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { abortControllerForMany } from '../utils/abort-controller-for-many';
import { type SendFailure, sendWithin } from './send-within';

/**
 * The bounds of every awaited send and contact call: `sendTimeoutMs`, the caller's signal, and shutdown. Nest waits
 * for the requests in flight before it runs `onApplicationShutdown`, where the queue drains; an awaited send of such a
 * request, retrying through an outage for up to `sendTimeoutMs`, would hold the drain back past an orchestrator's grace
 * period. So once shutdown begins, awaited sends get `shutdownTimeoutMs` more, then are cut short.
 */
@Injectable()
export class LoopsAwaitedSends implements BeforeApplicationShutdown {
  private readonly shutdown = abortControllerForMany();
  private shutdownTimer?: ReturnType<typeof setTimeout>;

  constructor(@Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions) {}

  beforeApplicationShutdown(): void {
    if (this.shutdownTimer) return;
    const reason = new LoopsShutdownError(
      `The app shut down (shutdownTimeoutMs: ${this.options.shutdownTimeoutMs} ms)`,
    );
    this.shutdownTimer = setTimeout(() => this.shutdown.abort(reason), this.options.shutdownTimeoutMs);
    // Nothing may be left to cut by then: the timer must not keep the process alive.
    this.shutdownTimer.unref();
  }

  /** `sendWithin` these bounds; `what` completes "Loops did not …" in its errors. */
  run<TResult extends { ok: true } | SendFailure>(
    callerSignal: AbortSignal | undefined,
    what: string,
    idempotencyKey: string | undefined,
    send: (signal: AbortSignal, giveUpAt: number) => Promise<TResult>,
  ): Promise<Extract<TResult, { ok: true }>> {
    return sendWithin(this.options.sendTimeoutMs, callerSignal, this.shutdown.signal, what, idempotencyKey, send);
  }
}
