/**
 * The OpenTelemetry SDK as an app sets it up, imported before anything else so that the HTTP instrumentation
 * patches `http` before any module loads it: spans into an in-memory exporter, metrics into an in-memory exporter
 * read on demand, and @opentelemetry/instrumentation-http making the server and client spans.
 */
import { metrics } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export const spanExporter = new InMemorySpanExporter();
export const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
/** Exports only when flushed: an hour is longer than any test. */
export const metricReader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});

new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] }).register();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
