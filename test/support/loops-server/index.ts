export { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from './loops-compatible-server';
export type {
  LoopsIdempotencyRule,
  AcceptedEvent,
  LoopsServerAnswer,
  LoopsServerOptions,
  LoopsServerResponder,
  RecordedRequest,
} from './loops-compatible-server';
