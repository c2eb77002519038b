import type {
  Attributes,
  BatchObservableCallback,
  Context,
  Counter,
  Histogram,
  Meter,
  ObservableCallback,
  ObservableGauge,
  Span,
  SpanContext,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import { Injectable } from '@nestjs/common';
import type { AttemptResult } from '../delivery/attempt-result';
import type { LoopsDeliveryResult } from '../delivery/loops-sender';
import type { TraceCarrier } from '../delivery/prepared-event';
import type { LoopsPreparedRequest } from '../delivery/prepared-request';
import type { LoopsError } from '../errors/loops.error';
import type { LoopsDeliveryOutcome } from '../interfaces/loops-delivery-outcome.interface';
import type { LoopsTransactionalOutcome } from '../interfaces/loops-transactional-outcome.interface';
import type { LoopsQueueStatus } from '../interfaces/loops-queue-status.interface';
import type { LoopsTransportResponse } from '../transport/loops-transport';
import { maskEmails } from '../utils/mask-email';
import { tryLoadOptionalPeer } from '../utils/try-load-optional-peer';
import {
  ATTR_DELIVERY_ATTEMPTS,
  ATTR_DELIVERY_MODE,
  ATTR_DELIVERY_OUTCOME,
  ATTR_ERROR_TYPE,
  ATTR_EVENT_NAME,
  ATTR_IDEMPOTENCY_KEY,
  ATTR_QUEUE_STATE,
  ATTR_RESEND_COUNT,
  ATTR_TRANSACTIONAL_ID,
  LOOPS_INSTRUMENTATION_SCOPE,
  type LoopsDeliveryMode,
  type LoopsTelemetryOutcome,
  METRIC_ENQUEUE_TO_ACCEPT,
  METRIC_EVENTS_SETTLED,
  METRIC_OLDEST_WAITING_AGE,
  METRIC_QUEUE_DEPTH,
  METRIC_RATE_LIMIT_REMAINING,
  METRIC_RATE_LIMITED,
  METRIC_RETRIES,
  METRIC_TRANSACTIONAL_SETTLED,
  SPAN_ENQUEUE_EVENT,
  SPAN_ENQUEUE_TRANSACTIONAL,
  SPAN_SEND_EVENT,
  SPAN_SEND_TRANSACTIONAL,
} from './telemetry-names';

type OtelApi = typeof import('@opentelemetry/api');

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same relative path from lib/ and dist/
const { version } = require('../../package.json') as { version: string };

/** From tens of milliseconds (a send at once) to an hour (retries through an outage), in seconds. */
const ENQUEUE_TO_ACCEPT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

interface Instruments {
  api: OtelApi;
  tracer: Tracer;
  /** What the API's global tracer provider delegates to while no SDK has registered one. */
  noopTracerProvider: TracerProvider;
  meter: Meter;
  settled: Counter;
  transactionalSettled: Counter;
  retries: Counter;
  rateLimited: Counter;
  enqueueToAccept: Histogram;
  queueDepth: ObservableGauge;
  oldestWaiting: ObservableGauge;
  rateLimitRemaining: ObservableGauge;
}

/** A BullMQ job attempt: one request, in whichever instance took the job. */
export interface JobAttempt {
  event: LoopsPreparedRequest;
  /** Requests made for the event by earlier attempts. */
  requestsBefore: number;
  /** No attempt follows this one if it fails (short of a rate limit, which does not use one up). */
  last: boolean;
  /** Aborted at shutdown: an attempt that ends without delivering then puts its job back to waiting, not failed. */
  shutdown: AbortSignal;
}

/**
 * Traces and metrics through `@opentelemetry/api`, when the app has it. The app's SDK decides what is recorded and
 * where it goes. Without an SDK an enqueue starts no span and every other call lands in the API's no-op
 * implementation; without the API package at all each hook returns at once. Spans and attributes carry event names
 * and masked idempotency keys, never an email address, the API key or a property value.
 */
@Injectable()
export class LoopsTelemetry {
  private readonly otel: Instruments | undefined;
  /** The last `x-ratelimit-remaining` Loops sent. */
  private rateLimitRemaining: number | undefined;
  private readonly observers: { callback: BatchObservableCallback; observables: ObservableGauge[] }[] = [];
  private readonly remainingObserver: ObservableCallback | undefined;

  /** The label of background events: the module's engines name themselves (`servesEngine`); the app's own is custom. */
  private backgroundMode: 'memory' | 'bullmq' | 'custom' = 'custom';

  constructor() {
    const api = tryLoadOptionalPeer<OtelApi>('@opentelemetry/api');
    if (!api) return;
    const meter = api.metrics.getMeter(LOOPS_INSTRUMENTATION_SCOPE, version);
    this.otel = {
      api,
      tracer: api.trace.getTracer(LOOPS_INSTRUMENTATION_SCOPE, version),
      noopTracerProvider: new api.ProxyTracerProvider().getDelegate(),
      meter,
      settled: meter.createCounter(METRIC_EVENTS_SETTLED, {
        unit: '{event}',
        description: 'Events whose delivery ended: sent, deduplicated, failed or dropped',
      }),
      transactionalSettled: meter.createCounter(METRIC_TRANSACTIONAL_SETTLED, {
        unit: '{email}',
        description: 'Transactional emails whose delivery ended: sent, deduplicated or failed',
      }),
      retries: meter.createCounter(METRIC_RETRIES, {
        unit: '{request}',
        description: 'Requests to Loops that repeated an earlier one for the same event',
      }),
      rateLimited: meter.createCounter(METRIC_RATE_LIMITED, {
        unit: '{response}',
        description: 'Answers 429 (rate limited) from Loops',
      }),
      enqueueToAccept: meter.createHistogram(METRIC_ENQUEUE_TO_ACCEPT, {
        unit: 's',
        description: 'Time from enqueueEvent to Loops accepting the event',
        advice: { explicitBucketBoundaries: ENQUEUE_TO_ACCEPT_BUCKETS },
      }),
      queueDepth: meter.createObservableGauge(METRIC_QUEUE_DEPTH, {
        unit: '{event}',
        description: 'Events in the background queue, by state',
      }),
      oldestWaiting: meter.createObservableGauge(METRIC_OLDEST_WAITING_AGE, {
        unit: 's',
        description: 'How long ago the oldest event waiting in the background queue was enqueued',
      }),
      rateLimitRemaining: meter.createObservableGauge(METRIC_RATE_LIMIT_REMAINING, {
        unit: '{request}',
        description: 'The last x-ratelimit-remaining Loops answered',
      }),
    };
    this.remainingObserver = (result) => {
      if (this.rateLimitRemaining !== undefined) result.observe(this.rateLimitRemaining);
    };
    this.otel.rateLimitRemaining.addCallback(this.remainingObserver);
  }

  /**
   * The active context, for work done later on behalf of the code running now (`withContext`). Typed `unknown` so
   * that the published typings need no `@opentelemetry/api`.
   */
  activeContext(): unknown {
    return this.otel?.api.context.active();
  }

  /** Runs `fn` in a context `activeContext()` returned, so that the spans it starts have the right parent. */
  withContext<T>(context: unknown, fn: () => T): T {
    return context === undefined || !this.otel ? fn() : this.otel.api.context.with(context as Context, fn);
  }

  /**
   * Runs `enqueue`, the hand-over of the event to the queue, after marking when it happened and, when telemetry is
   * on, in a `loops.enqueue_event` span whose context travels with the event to be the parent of its send spans.
   */
  traceEnqueue<T>(event: LoopsPreparedRequest, enqueue: () => T): T {
    event.enqueuedAt = Date.now();
    if (!this.otel || !this.hasTracerProvider(this.otel)) return enqueue();
    const { api, tracer } = this.otel;
    const name = event.kind === 'transactional' ? SPAN_ENQUEUE_TRANSACTIONAL : SPAN_ENQUEUE_EVENT;
    const span = tracer.startSpan(name, { kind: api.SpanKind.PRODUCER });
    if (span.isRecording()) span.setAttributes(this.eventAttributes(event, this.backgroundMode));
    const spanContext = span.spanContext();
    if (api.isSpanContextValid(spanContext)) event.traceContext = toTraceCarrier(spanContext);
    let handedOver: T;
    try {
      handedOver = enqueue();
    } catch (error) {
      this.endEnqueue(span, error);
      throw error;
    }
    if (handedOver instanceof Promise) {
      handedOver.then(
        () => this.endEnqueue(span),
        (error: unknown) => this.endEnqueue(span, error),
      );
    } else {
      this.endEnqueue(span);
    }
    return handedOver;
  }

  /**
   * Runs a whole delivery (attempts and backoffs) in a `loops.send_event` span, active around every request so that
   * HTTP instrumentation makes its client spans children of it. Awaited sends are children of the caller's span,
   * queued ones of the span that enqueued them, never of whatever context the queue's worker happens to run in.
   */
  async traceDelivery(
    event: LoopsPreparedRequest,
    mode: 'awaited' | 'memory',
    deliver: () => Promise<LoopsDeliveryResult>,
  ): Promise<LoopsDeliveryResult> {
    if (!this.otel) return deliver();
    const { api } = this.otel;
    const parent = mode === 'awaited' ? api.context.active() : fromTraceCarrier(api, event.traceContext);
    const span = this.startSend(event, mode, parent);
    try {
      const result = await api.context.with(api.trace.setSpan(parent, span), deliver);
      this.endDelivery(span, event, mode, result);
      return result;
    } catch (error) {
      // Deliveries report failures in their result; this is a bug, and the span must end all the same.
      span.end();
      throw error;
    }
  }

  /** A BullMQ job attempt in a `loops.send_event` span of its own, a child of the span that enqueued the event. */
  async traceJobAttempt(job: JobAttempt, attempt: () => Promise<AttemptResult>): Promise<AttemptResult> {
    if (!this.otel) return attempt();
    const { api } = this.otel;
    const parent = fromTraceCarrier(api, job.event.traceContext);
    const span = this.startSend(job.event, 'bullmq', parent);
    try {
      const result = await api.context.with(api.trace.setSpan(parent, span), attempt);
      this.endJobAttempt(span, job, result);
      return result;
    } catch (error) {
      span.end();
      throw error;
    }
  }

  /** Called by the module's own engines: their events are labelled with their mode rather than `custom`. */
  servesEngine(mode: 'memory' | 'bullmq'): void {
    this.backgroundMode = mode;
  }

  /** Every answer from Loops to a send: 429s and the rate-limit budget left. */
  answered(response: LoopsTransportResponse): void {
    if (!this.otel) return;
    const remaining = response.headers['x-ratelimit-remaining'];
    if (remaining !== undefined && /^\d+$/.test(remaining)) this.rateLimitRemaining = Number(remaining);
    if (response.status === 429) this.otel.rateLimited.add(1);
  }

  /** A background event's or transactional email's end, as `deliveries$` tells it. */
  settled(outcome: LoopsDeliveryOutcome | LoopsTransactionalOutcome, event?: LoopsPreparedRequest): void {
    if (!this.otel) return;
    if (outcome.status === 'dropped') {
      this.otel.settled.add(1, {
        [ATTR_EVENT_NAME]: outcome.eventName,
        [ATTR_DELIVERY_OUTCOME]: 'dropped',
        [ATTR_ERROR_TYPE]: outcome.error.name,
      });
      return;
    }
    const mode = this.backgroundMode;
    const target =
      outcome.kind === 'transactional'
        ? { [ATTR_TRANSACTIONAL_ID]: outcome.transactionalId }
        : { [ATTR_EVENT_NAME]: outcome.eventName };
    const counter = outcome.kind === 'transactional' ? this.otel.transactionalSettled : this.otel.settled;
    if (outcome.status === 'failed') {
      this.countSettled(counter, target, mode, 'failed', outcome.error);
      return;
    }
    this.countSettled(counter, target, mode, outcome.deduplicated ? 'deduplicated' : 'sent');
    // Only a send this instance saw accepted: not a dry run, nor a key found delivered when it was enqueued. The
    // histogram is of events.
    if (outcome.kind === 'event' && event?.enqueuedAt !== undefined && outcome.attempts > 0 && !outcome.dryRun) {
      this.otel.enqueueToAccept.record((Date.now() - event.enqueuedAt) / 1000, {
        [ATTR_EVENT_NAME]: outcome.eventName,
        [ATTR_DELIVERY_MODE]: mode,
      });
    }
  }

  /** Reports the queue's depth and oldest waiting event, read from `status` each time metrics are collected. */
  observeQueue(status: () => Promise<LoopsQueueStatus>): void {
    if (!this.otel) return;
    const { queueDepth, oldestWaiting, meter } = this.otel;
    const mode = this.backgroundMode;
    const callback: BatchObservableCallback = async (result) => {
      // Redis unreachable: nothing to report this time, rather than a made-up zero.
      const now = await status().catch(() => undefined);
      if (!now) return;
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
        if (mode === 'memory' && (state === 'delayed' || state === 'failed')) continue;
        result.observe(queueDepth, now[state], { [ATTR_DELIVERY_MODE]: mode, [ATTR_QUEUE_STATE]: state });
      }
      result.observe(oldestWaiting, now.oldestWaitingMs / 1000, { [ATTR_DELIVERY_MODE]: mode });
    };
    const observables = [queueDepth, oldestWaiting];
    meter.addBatchObservableCallback(callback, observables);
    this.observers.push({ callback, observables });
  }

  /** Stops observing: a closed app must not be asked for its queue. */
  shutdown(): void {
    if (!this.otel) return;
    for (const { callback, observables } of this.observers.splice(0)) {
      this.otel.meter.removeBatchObservableCallback(callback, observables);
    }
    if (this.remainingObserver) this.otel.rateLimitRemaining.removeCallback(this.remainingObserver);
  }

  private startSend(event: LoopsPreparedRequest, mode: LoopsDeliveryMode, parent: Context): Span {
    const { api, tracer } = this.otel as Instruments;
    const name = event.kind === 'transactional' ? SPAN_SEND_TRANSACTIONAL : SPAN_SEND_EVENT;
    const span = tracer.startSpan(name, { kind: api.SpanKind.INTERNAL }, parent);
    if (span.isRecording()) span.setAttributes(this.eventAttributes(event, mode));
    return span;
  }

  /**
   * Whether an SDK has registered a tracer provider, asked on every enqueue since an app may start its SDK after
   * this module. Without one, an enqueue span could be neither recorded nor part of a trace, and starting it anyway
   * took about a tenth of what the interceptor spends on a request.
   */
  private hasTracerProvider({ api, noopTracerProvider }: Instruments): boolean {
    const provider = api.trace.getTracerProvider();
    return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noopTracerProvider;
  }

  private endEnqueue(span: Span, error?: unknown): void {
    if (error instanceof Error && span.isRecording()) {
      span.setAttribute(ATTR_ERROR_TYPE, error.name);
      span.setStatus({ code: (this.otel as Instruments).api.SpanStatusCode.ERROR, message: maskEmails(error.message) });
    }
    span.end();
  }

  private endDelivery(
    span: Span,
    event: LoopsPreparedRequest,
    mode: 'awaited' | 'memory',
    result: LoopsDeliveryResult,
  ): void {
    if (result.attempts > 1) this.otel?.retries.add(result.attempts - 1, this.modeAttributes(event, mode));
    const outcome: LoopsTelemetryOutcome = result.ok ? (result.deduplicated ? 'deduplicated' : 'sent') : 'failed';
    if (mode === 'awaited') {
      const otel = this.otel as Instruments;
      const counter = event.kind === 'transactional' ? otel.transactionalSettled : otel.settled;
      this.countSettled(counter, targetAttributes(event), mode, outcome, result.ok ? undefined : result.error);
    }
    this.endSpan(span, outcome, result.attempts, result.ok ? undefined : result.error);
  }

  private endJobAttempt(span: Span, job: JobAttempt, result: AttemptResult): void {
    const requested = result.outcome === 'accepted' ? result.dryRun !== true : result.outcome !== 'not-sent';
    if (requested && job.requestsBefore > 0) this.otel?.retries.add(1, this.modeAttributes(job.event, 'bullmq'));
    let outcome: LoopsTelemetryOutcome;
    if (result.outcome === 'accepted') outcome = result.deduplicated ? 'deduplicated' : 'sent';
    else if (job.shutdown.aborted) outcome = 'retrying';
    else if (result.outcome === 'refused') outcome = 'failed';
    else if (result.outcome === 'retryable' && !result.rateLimited && job.last) outcome = 'failed';
    else outcome = 'retrying';
    const attempts = job.requestsBefore + (requested ? 1 : 0);
    this.endSpan(span, outcome, attempts, result.outcome === 'accepted' ? undefined : result.error);
  }

  private endSpan(span: Span, outcome: LoopsTelemetryOutcome, attempts: number, error: LoopsError | undefined): void {
    if (span.isRecording()) {
      const attributes: Attributes = { [ATTR_DELIVERY_OUTCOME]: outcome, [ATTR_DELIVERY_ATTEMPTS]: attempts };
      if (attempts > 1) attributes[ATTR_RESEND_COUNT] = attempts - 1;
      if (error) {
        attributes[ATTR_ERROR_TYPE] = error.name;
        span.setStatus({
          code: (this.otel as Instruments).api.SpanStatusCode.ERROR,
          message: maskEmails(error.message),
        });
      }
      span.setAttributes(attributes);
    }
    span.end();
  }

  private countSettled(
    counter: Counter,
    target: Attributes,
    mode: LoopsDeliveryMode,
    outcome: LoopsTelemetryOutcome,
    error?: Error,
  ): void {
    const attributes: Attributes = { ...target, [ATTR_DELIVERY_MODE]: mode, [ATTR_DELIVERY_OUTCOME]: outcome };
    if (error) attributes[ATTR_ERROR_TYPE] = error.name;
    counter.add(1, attributes);
  }

  private eventAttributes(event: LoopsPreparedRequest, mode: LoopsDeliveryMode): Attributes {
    return {
      ...targetAttributes(event),
      [ATTR_IDEMPOTENCY_KEY]: maskEmails(event.idempotencyKey),
      [ATTR_DELIVERY_MODE]: mode,
    };
  }

  private modeAttributes(event: LoopsPreparedRequest, mode: LoopsDeliveryMode): Attributes {
    return { ...targetAttributes(event), [ATTR_DELIVERY_MODE]: mode };
  }
}

/** What a request is about: its event name, or its transactional email's id. */
function targetAttributes(event: LoopsPreparedRequest): Attributes {
  return event.kind === 'transactional'
    ? { [ATTR_TRANSACTIONAL_ID]: event.transactionalId }
    : { [ATTR_EVENT_NAME]: event.eventName };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The span context as W3C `traceparent`/`tracestate`, written by hand rather than by the app's propagator: it only
 * travels from our producer to our consumer, and must arrive whatever propagator (or none) the app configured.
 */
function toTraceCarrier(spanContext: SpanContext): TraceCarrier {
  const flags = spanContext.traceFlags.toString(16).padStart(2, '0');
  const carrier: TraceCarrier = { traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}` };
  const tracestate = spanContext.traceState?.serialize();
  if (tracestate) carrier.tracestate = tracestate;
  return carrier;
}

/** A context whose parent is the carried span; the root context when there is none or it does not parse. */
function fromTraceCarrier(api: OtelApi, carrier: TraceCarrier | undefined): Context {
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
