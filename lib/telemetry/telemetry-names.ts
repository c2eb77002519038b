/** Names of what nestjs-loops reports through OpenTelemetry: the README's "Observability" table lists each one. */
export const LOOPS_INSTRUMENTATION_SCOPE = 'nestjs-loops';

export const SPAN_ENQUEUE_EVENT = 'loops.enqueue_event';
export const SPAN_SEND_EVENT = 'loops.send_event';
export const SPAN_ENQUEUE_TRANSACTIONAL = 'loops.enqueue_transactional';
export const SPAN_SEND_TRANSACTIONAL = 'loops.send_transactional';

export const ATTR_EVENT_NAME = 'loops.event.name';
export const ATTR_TRANSACTIONAL_ID = 'loops.transactional.id';
export const ATTR_IDEMPOTENCY_KEY = 'loops.event.idempotency_key';
export const ATTR_DELIVERY_MODE = 'loops.delivery.mode';
export const ATTR_DELIVERY_OUTCOME = 'loops.delivery.outcome';
export const ATTR_DELIVERY_ATTEMPTS = 'loops.delivery.attempts';
export const ATTR_QUEUE_STATE = 'loops.queue.state';
/** OpenTelemetry semantic conventions (stable). */
export const ATTR_RESEND_COUNT = 'http.request.resend_count';
export const ATTR_ERROR_TYPE = 'error.type';

export const METRIC_EVENTS_SETTLED = 'loops.events.settled';
export const METRIC_TRANSACTIONAL_SETTLED = 'loops.transactional.settled';
export const METRIC_RETRIES = 'loops.requests.retried';
export const METRIC_RATE_LIMITED = 'loops.responses.rate_limited';
export const METRIC_ENQUEUE_TO_ACCEPT = 'loops.event.enqueue_to_accept.duration';
export const METRIC_QUEUE_DEPTH = 'loops.queue.depth';
export const METRIC_OLDEST_WAITING_AGE = 'loops.queue.oldest_waiting.age';
export const METRIC_RATE_LIMIT_REMAINING = 'loops.ratelimit.remaining';

/** How an event travels: `sendEvent`, or `enqueueEvent` through the in-memory queue, BullMQ or a queue of the app's. */
export type LoopsDeliveryMode = 'awaited' | 'memory' | 'bullmq' | 'custom';

/**
 * How a send ended: a span's `loops.delivery.outcome` and the `loops.events.settled` counter. `retrying` is a BullMQ
 * job attempt that did not deliver and whose job goes on.
 */
export type LoopsTelemetryOutcome = 'sent' | 'deduplicated' | 'failed' | 'dropped' | 'retrying';
