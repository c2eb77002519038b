import { LoopsError } from './loops.error';

/** `enqueueEvent` refused an event because `queue.maxPending` events are already waiting or in flight. */
export class LoopsQueueFullError extends LoopsError {
  constructor(readonly maxPending: number) {
    super(`The Loops background queue is full (${maxPending} events pending); the event was not queued`);
  }
}
