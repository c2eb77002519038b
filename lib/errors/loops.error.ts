/** Base class of every error this package throws, so one `instanceof` check catches them all. */
export class LoopsError extends Error {
  /**
   * On the error a send failed with: an attempt's outcome was unknown (a timeout, a dropped connection, a 5xx), so
   * Loops may have accepted the event after all. Sending it again with the same key never delivers it twice.
   */
  mayHaveBeenAccepted = false;
  /**
   * On the error an awaited send (`sendEvent`, `LoopsTransactionalService.send`) failed with: the key its attempts
   * carried, yours or the generated one, to send it again with when `mayHaveBeenAccepted` is true.
   */
  idempotencyKey?: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
