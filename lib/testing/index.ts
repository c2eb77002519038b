export { LoopsTestingModule, type LoopsTestingModuleOptions } from './loops-testing.module';
export {
  LoopsTestRecorder,
  type LoopsTestFailure,
  type RecordedLoopsEvent,
  type WaitForOptions,
} from './loops-test-recorder';
export { InMemoryLoopsTransport } from './in-memory-loops-transport';
