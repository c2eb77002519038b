export { LoopsCompatibleServer } from './loops-compatible-server';
export type {
  AcceptedEvent,
  LoopsServerAnswer,
  LoopsServerOptions,
  LoopsServerResponder,
  RecordedRequest,
} from './loops-compatible-server';
