import { LoopsError } from './loops.error';

/** No answer from Loops: a timeout, an abort, a reset or refused connection. `cause` holds the original error. */
export class LoopsNetworkError extends LoopsError {
  constructor(
    message: string,
    readonly code: string | undefined,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}
