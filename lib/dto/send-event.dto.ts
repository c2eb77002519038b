import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsLoopsField } from './is-loops-field.decorator';

export type LoopsPropertyValue = string | number | boolean | Date;

/** What `sendEvent` accepts: the shape of the official `loops` SDK's `sendEvent`, without its `headers`. */
export interface SendEventInput {
  eventName: string;
  email?: string;
  userId?: string;
  eventProperties?: Record<string, LoopsPropertyValue>;
  /** Written to the contact; `null` clears a property. Sent flattened into the top level of the body. */
  contactProperties?: Record<string, LoopsPropertyValue | null>;
  /** Mailing-list id to `true` (subscribe) or `false` (unsubscribe). */
  mailingLists?: Record<string, boolean>;
}

// class-transformer copies nested objects, silently skipping keys such as `__proto__`, and takes an own
// `constructor` key for the object's class unless told the type. The maps are kept as given so that the
// rules see every key the caller sent.
export const keepAsGiven = applyDecorators(
  Type(() => Object),
  Transform(({ obj, key }) => (obj as Record<string, unknown>)[key], { toClassOnly: true }),
);

/**
 * The event as a class-validator DTO. Usable as a `@Body()` type with
 * `ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })`.
 */
export class SendEventDto implements SendEventInput {
  @IsLoopsField('eventName')
  eventName!: string;

  @IsLoopsField('email')
  email?: string;

  @IsLoopsField('userId')
  userId?: string;

  @keepAsGiven
  @IsLoopsField('eventProperties')
  eventProperties?: Record<string, LoopsPropertyValue>;

  @keepAsGiven
  @IsLoopsField('contactProperties')
  contactProperties?: Record<string, LoopsPropertyValue | null>;

  @keepAsGiven
  @IsLoopsField('mailingLists')
  mailingLists?: Record<string, boolean>;
}
