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
export { signLoopsWebhook, type SignedLoopsWebhook, type SignLoopsWebhookOptions } from './sign-loops-webhook';
export { postLoopsWebhook, type PostLoopsWebhookOptions, type PostLoopsWebhookResult } from './post-loops-webhook';
export { buildLoopsWebhookPayload, type LoopsWebhookPayloadOverrides } from './loops-webhook-payloads';
