import { LoopsError } from './loops.error';

/** The durable queue (Redis, for BullMQ delivery) did not take the event; it was not queued. */
export class LoopsQueueUnavailableError extends LoopsError {}
