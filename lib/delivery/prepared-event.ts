/** A validated event ready to be sent, as it waits in a queue. */
export interface LoopsPreparedEvent {
  /** Absent in events prepared before transactional emails shared the engine (jobs still in Redis, say). */
  kind?: 'event';
  eventName: string;
  idempotencyKey: string;
  /**
   * The caller chose the key to name one logical event (an order id, say): Loops already holding it means this
   * event was delivered. A generated key names only this send.
   */
  keyChosenByCaller: boolean;
  /** The JSON text sent to Loops: built once, and smaller in memory than the object it came from. */
  body: string;
  /** When it was enqueued, in ms since the epoch; unset for awaited sends. */
  enqueuedAt?: number;
  /** The W3C trace context of the code that enqueued it, when that code was traced: the parent of its send spans. */
  traceContext?: TraceCarrier;
}

/** A span context as W3C Trace Context headers, plain text so that it survives a trip through Redis. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}
