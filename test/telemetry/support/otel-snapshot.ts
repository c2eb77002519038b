import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** A finished span as plain data, to travel over IPC and be compared. */
export interface SpanRecord {
  name: string;
  /** `SpanKind`'s name: INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER. */
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Attributes;
  status: { code: number; message?: string };
}

/** One data point of a metric: a counter's sum, a gauge's value, a histogram's count and sum. */
export interface MetricPoint {
  name: string;
  unit: string;
  attributes: Attributes;
  value: number;
  /** Histograms only. */
  count?: number;
}

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

export function toSpanRecord(span: ReadableSpan): SpanRecord {
  return {
    name: span.name,
    kind: KINDS[span.kind],
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    status: { code: span.status.code, message: span.status.message },
  };
}

/** Every data point the exporter holds, of its last export (cumulative temporality: the totals so far). */
export function toMetricPoints(exports: ResourceMetrics[]): MetricPoint[] {
  const last = exports.at(-1);
  if (!last) return [];
  return last.scopeMetrics.flatMap((scope) =>
    scope.metrics.flatMap((metric) =>
      metric.dataPoints.map((point): MetricPoint => {
        const { name, unit } = metric.descriptor;
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const histogram = point.value as { count: number; sum?: number };
          return { name, unit, attributes: point.attributes, value: histogram.sum ?? 0, count: histogram.count };
        }
        return { name, unit, attributes: point.attributes, value: point.value as number };
      }),
    ),
  );
}

/** The value of the point of `name` whose attributes include `attributes`; undefined when there is none. */
export function pointValue(points: MetricPoint[], name: string, attributes: Attributes = {}): number | undefined {
  return points.find(
    (point) =>
      point.name === name && Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  )?.value;
}
