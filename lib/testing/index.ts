export { LoopsTestingModule, type LoopsTestingModuleOptions } from './loops-testing.module';
export {
  LoopsTestRecorder,
  type LoopsTestFailure,
  type RecordedLoopsCall,
  type RecordedLoopsEvent,
  type RecordedLoopsTransactional,
  type WaitForOptions,
} from './loops-test-recorder';
export { InMemoryAudience } from './in-memory-audience';
export { InMemoryLoopsTransport } from './in-memory-loops-transport';
