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
  type LoopsJobRetention,
  type LoopsMemoryDeliveryOptions,
  type LoopsModuleOptions,
  type LoopsQueueOptions,
  type LoopsRateLimitOptions,
  type LoopsRetryOptions,
} from './interfaces/loops-module-options.interface';
export { type LoopsSendResult, type SendEventOptions } from './interfaces/loops-send-result.interface';
export {
  type LoopsDeliveryOutcome,
  type LoopsDeliveryStatus,
  type LoopsDroppedOutcome,
  type LoopsFailedOutcome,
  type LoopsSentOutcome,
} from './interfaces/loops-delivery-outcome.interface';
export { type LoopsFailedEvent, type LoopsFailedEventsQuery } from './interfaces/loops-failed-event.interface';
export { type LoopsQueueStatus } from './interfaces/loops-queue-status.interface';
export { type LoopsApiKeyStatus } from './interfaces/loops-api-key-status.interface';
export { type LoopsLogKind, type LoopsLogLevel, type LoopsLogLevels } from './logging/loops-log-levels';
export { LoopsHealthIndicator, type LoopsHealthIndicatorResult } from './health/loops-health.indicator';
export { LoopsEventsService } from './loops-events.service';
export { LoopsTransactionalService } from './transactional/loops-transactional.service';
export { LoopsContactsService } from './contacts/loops-contacts.service';
export {
  type LoopsContact,
  type LoopsContactCallOptions,
  type LoopsContactDeleted,
  type LoopsContactIdentity,
  type LoopsContactMailingLists,
  type LoopsContactProperties,
  type LoopsContactSaved,
  type LoopsCreateContactInput,
  type LoopsUpdateContactInput,
} from './contacts/contact-types';
export {
  type LoopsAttachment,
  type LoopsDataVariableValue,
  SendTransactionalDto,
  type SendTransactionalInput,
} from './dto/send-transactional.dto';
export {
  type LoopsTransactionalFailedOutcome,
  type LoopsTransactionalOutcome,
  type LoopsTransactionalSentOutcome,
} from './interfaces/loops-transactional-outcome.interface';
export {
  type LoopsFailedTransactional,
  type LoopsFailedTransactionalQuery,
} from './interfaces/loops-failed-transactional.interface';
export { LoopsBackgroundDelivery } from './delivery/loops-background-delivery';
export { LoopsRateLimiter } from './delivery/loops-rate-limiter';
export { LoopsSender, type LoopsDeliveryResult } from './delivery/loops-sender';
export { LoopsDeliveryReporter } from './delivery/loops-delivery-reporter';
export { type LoopsPreparedEvent } from './delivery/prepared-event';
export { type LoopsPreparedTransactional } from './delivery/prepared-transactional';
export { type LoopsPreparedRequest } from './delivery/prepared-request';
export { type LoopsPropertyValue, SendEventDto, type SendEventInput } from './dto/send-event.dto';
export { EmitLoopsEvent, type EmitLoopsEventDecorator } from './emit-loops-event.decorator';
export {
  type EmitLoopsEventOptions,
  type LoopsEventContact,
  type LoopsEventContext,
  type LoopsEventValue,
} from './emit-loops-event.options';
export { LoopsEventInterceptor } from './loops-event.interceptor';
export { defineLoopsEvents } from './catalog/define-loops-events';
export { type LoopsCatalog, type LoopsEventPropertyType, type LoopsPropertyType } from './catalog/loops-catalog';
export { type LoopsEventInput, type LoopsEventName, type LoopsRegister } from './catalog/loops-register';
export { type LoopsCatalogEvent } from './catalog/catalog-event-types';
export { type LoopsCatalogOptions, type LoopsVerifyMode } from './catalog/catalog-options';
export { type LoopsCatalogViolations } from './catalog/catalog-enforcer';
export { LoopsTransport, type LoopsTransportRequest, type LoopsTransportResponse } from './transport/loops-transport';
export { LoopsError } from './errors/loops.error';
export { LoopsConfigurationError } from './errors/loops-configuration.error';
export { LoopsValidationError, type LoopsValidationIssue } from './errors/loops-validation.error';
export { LoopsApiError, type LoopsApiErrorDetails } from './errors/loops-api.error';
export { LoopsAuthError } from './errors/loops-auth.error';
export { LoopsRateLimitError } from './errors/loops-rate-limit.error';
export { LoopsIdempotencyConflictError } from './errors/loops-idempotency-conflict.error';
export { LoopsTransactionalError } from './errors/loops-transactional.error';
export { LoopsTransactionalNotFoundError } from './errors/loops-transactional-not-found.error';
export { LoopsTransactionalDataVariablesError } from './errors/loops-transactional-data-variables.error';
export { LoopsContactError } from './errors/loops-contact.error';
export { LoopsContactExistsError } from './errors/loops-contact-exists.error';
export { LoopsContactNotFoundError } from './errors/loops-contact-not-found.error';
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
