export { LoopsModule } from './loops.module';
export {
  InjectLoopsOptions,
  LOOPS_MODULE_OPTIONS,
  type LoopsModuleAsyncOptions,
  type LoopsModuleExtras,
  type LoopsModuleForRootOptions,
  type LoopsOptionsFactory,
} from './loops.module-definition';
export {
  type LoopsBullMqDeliveryOptions,
  type LoopsMemoryDeliveryOptions,
  type LoopsModuleOptions,
  type LoopsQueueOptions,
  type LoopsRateLimitOptions,
  type LoopsRetryOptions,
} from './interfaces/loops-module-options.interface';
export { type LoopsSendResult, type SendEventOptions } from './interfaces/loops-send-result.interface';
export { type LoopsDeliveryOutcome, type LoopsDeliveryStatus } from './interfaces/loops-delivery-outcome.interface';
export { LoopsEventsService } from './loops-events.service';
export { type LoopsPropertyValue, SendEventDto, type SendEventInput } from './dto/send-event.dto';
export {
  EmitLoopsEvent,
  type EmitLoopsEventOptions,
  type LoopsEventContact,
  type LoopsEventContext,
  type LoopsEventValue,
} from './emit-loops-event.decorator';
export { LoopsEventInterceptor } from './loops-event.interceptor';
export { LoopsTransport, type LoopsTransportRequest, type LoopsTransportResponse } from './transport/loops-transport';
export { LoopsError } from './errors/loops.error';
export { LoopsConfigurationError } from './errors/loops-configuration.error';
export { LoopsValidationError, type LoopsValidationIssue } from './errors/loops-validation.error';
export { LoopsApiError, type LoopsApiErrorDetails } from './errors/loops-api.error';
export { LoopsAuthError } from './errors/loops-auth.error';
export { LoopsRateLimitError } from './errors/loops-rate-limit.error';
export { LoopsIdempotencyConflictError } from './errors/loops-idempotency-conflict.error';
export { LoopsNetworkError } from './errors/loops-network.error';
export { LoopsQueueFullError } from './errors/loops-queue-full.error';
export { LoopsShutdownError } from './errors/loops-shutdown.error';
export { LoopsQueueUnavailableError } from './errors/loops-queue-unavailable.error';
export {
  type LoopsWebhookDeduplicationOptions,
  type LoopsWebhooksOptions,
} from './webhooks/loops-webhooks-options.interface';
export { OnLoopsWebhook, type LoopsWebhookHandlerMethod } from './webhooks/on-loops-webhook.decorator';
export { type LoopsWebhookContext } from './webhooks/loops-webhook-context.interface';
export {
  isLoopsWebhookEvent,
  LOOPS_WEBHOOK_EVENT_NAMES,
  type LoopsCampaignEmailSentWebhook,
  type LoopsContactCreatedWebhook,
  type LoopsContactDeletedWebhook,
  type LoopsContactMailingListSubscribedWebhook,
  type LoopsContactMailingListUnsubscribedWebhook,
  type LoopsContactUnsubscribedWebhook,
  type LoopsEmailClickedWebhook,
  type LoopsEmailDeliveredWebhook,
  type LoopsEmailHardBouncedWebhook,
  type LoopsEmailOpenedWebhook,
  type LoopsEmailResubscribedWebhook,
  type LoopsEmailSoftBouncedWebhook,
  type LoopsEmailSpamReportedWebhook,
  type LoopsEmailUnsubscribedWebhook,
  type LoopsLoopEmailSentWebhook,
  type LoopsTestingTestEventWebhook,
  type LoopsTransactionalEmailSentWebhook,
  type LoopsUnknownWebhookPayload,
  type LoopsWebhookBase,
  type LoopsWebhookContact,
  type LoopsWebhookContactIdentity,
  type LoopsWebhookEmail,
  type LoopsWebhookEvent,
  type LoopsWebhookEventName,
  type LoopsWebhookMailingList,
  type LoopsWebhookPayload,
  type LoopsWebhookTopic,
} from './webhooks/loops-webhook-events';
