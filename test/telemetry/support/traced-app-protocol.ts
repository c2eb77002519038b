import type { LoopsModuleOptions } from '../../../lib';
import type { MetricPoint, SpanRecord } from './otel-snapshot';

/** What the test gives the traced app (`traced-app.ts`), as JSON in TRACED_APP. */
export interface TracedAppInput {
  options: LoopsModuleOptions;
}

export type ToTracedApp = { type: 'collect' };

export type FromTracedApp =
  | { type: 'ready'; port: number }
  | { type: 'collected'; spans: SpanRecord[]; metrics: MetricPoint[] }
  | { type: 'error'; error: string };
