/** Base class of every error this package throws, so one `instanceof` check catches them all. */
export class LoopsError extends Error {
  /**
   * On the error a send failed with: an attempt's outcome was unknown (a timeout, a dropped connection, a 5xx), so
   * Loops may have accepted the event after all. Sending it again with the same key never delivers it twice.
   */
  mayHaveBeenAccepted = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
