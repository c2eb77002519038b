import { IsLoopsTransactionalField } from './is-loops-transactional-field.decorator';
import { keepAsGiven } from './send-event.dto';

/** A data variable: a string or number, or for an array block in the email, an array of objects of those. */
export type LoopsDataVariableValue = string | number | Array<Record<string, string | number>>;

/** A file sent with the email. Loops enables attachments on an account on request. */
export interface LoopsAttachment {
  /** The name email clients show. */
  filename: string;
  /** Its MIME type, e.g. `application/pdf`. */
  contentType: string;
  /** Its content in base64 (`buffer.toString('base64')`). */
  data: string;
}

/** What `LoopsTransactionalService` sends: the official `loops` SDK's `sendTransactionalEmail` input, less `headers`. */
export interface SendTransactionalInput {
  /** The ID of a published transactional email, from its page in Loops. */
  transactionalId: string;
  /** The recipient. */
  email: string;
  /** Create a contact with this email if none exists. */
  addToAudience?: boolean;
  /** The values of the email's data variables. */
  dataVariables?: Record<string, LoopsDataVariableValue>;
  attachments?: LoopsAttachment[];
}

/**
 * A transactional email as a class-validator DTO, usable as a `@Body()` type with
 * `ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })`.
 */
export class SendTransactionalDto implements SendTransactionalInput {
  @IsLoopsTransactionalField('transactionalId')
  transactionalId!: string;

  @IsLoopsTransactionalField('email')
  email!: string;

  @IsLoopsTransactionalField('addToAudience')
  addToAudience?: boolean;

  @keepAsGiven
  @IsLoopsTransactionalField('dataVariables')
  dataVariables?: Record<string, LoopsDataVariableValue>;

  @keepAsGiven
  @IsLoopsTransactionalField('attachments')
  attachments?: LoopsAttachment[];
}
