import type { Context, SpanContext } from '@opentelemetry/api';
import type { TraceCarrier } from '../delivery/prepared-event';

type OtelApi = typeof import('@opentelemetry/api');

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The span context as W3C `traceparent`/`tracestate`, written by hand rather than by the app's propagator: it only
 * travels from our producer to our consumer, and must arrive whatever propagator (or none) the app configured.
 */
export function toTraceCarrier(spanContext: SpanContext): TraceCarrier {
  const flags = spanContext.traceFlags.toString(16).padStart(2, '0');
  const carrier: TraceCarrier = { traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}` };
  const tracestate = spanContext.traceState?.serialize();
  if (tracestate) carrier.tracestate = tracestate;
  return carrier;
}

/** A context whose parent is the carried span; the root context when there is none or it does not parse. */
export function fromTraceCarrier(api: OtelApi, carrier: TraceCarrier | undefined): Context {
  const match = carrier && TRACEPARENT.exec(carrier.traceparent);
  if (!match) return api.ROOT_CONTEXT;
  const spanContext: SpanContext = {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
    ...(carrier.tracestate && { traceState: api.createTraceState(carrier.tracestate) }),
  };
  if (!api.isSpanContextValid(spanContext)) return api.ROOT_CONTEXT;
  return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext);
}
