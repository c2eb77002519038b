/** Base class of every error this package throws, so one `instanceof` check catches them all. */
export class LoopsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
