import { LoopsError } from './loops.error';

/** The app is shutting down: the event was refused, or shutdown ended before it was delivered. */
export class LoopsShutdownError extends LoopsError {}
