import { Inject, Injectable } from '@nestjs/common';
import type { LoopsCall } from '../delivery/loops-call';
import { LoopsSender } from '../delivery/loops-sender';
import { LoopsAwaitedSends } from '../delivery/awaited-sends';
import { findContactIssues } from '../dto/loops-contact-rules';
import { LoopsValidationError } from '../errors/loops-validation.error';
import { LoopsLog } from '../logging/loops-log';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { createContactCall, deleteContactCall, findContactCall, updateContactCall } from './contact-calls';
import type {
  LoopsContact,
  LoopsContactCallOptions,
  LoopsContactDeleted,
  LoopsContactIdentity,
  LoopsContactMailingLists,
  LoopsContactSaved,
  LoopsCreateContactInput,
  LoopsUpdateContactInput,
} from './contact-types';

const WRITE_FIELDS = ['email', 'userId', 'properties', 'mailingLists'];
const IDENTITY_FIELDS = ['email', 'userId'];

/**
 * Creates, updates, finds and deletes contacts (`/v1/contacts/*`), and changes their mailing lists. Each call is
 * validated before any request, then awaited through the rate limiter, timeouts and retries every request of the
 * module shares, so that contact calls and events never push each other into Loops' rate limit.
 */
@Injectable()
export class LoopsContactsService {
  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly sender: LoopsSender,
    private readonly awaited: LoopsAwaitedSends,
    private readonly log: LoopsLog,
  ) {}

  /**
   * Creates a contact; resolves with its id.
   * @throws LoopsValidationError before any request when the input breaks a rule.
   * @throws LoopsContactExistsError when Loops already has a contact with this email or userId.
   */
  async createContact(
    input: LoopsCreateContactInput,
    options: LoopsContactCallOptions = {},
  ): Promise<LoopsContactSaved> {
    this.check(input, WRITE_FIELDS, 'email');
    return this.saved(await this.run(createContactCall(input), options));
  }

  /**
   * Updates the contact found by `email` or `userId`, creating it when there is none (Loops' "upsert"); resolves
   * with its id. With both, Loops finds the contact by either and sets the other.
   * @throws LoopsValidationError before any request when the input breaks a rule.
   */
  async updateContact(
    input: LoopsUpdateContactInput,
    options: LoopsContactCallOptions = {},
  ): Promise<LoopsContactSaved> {
    this.check(input, WRITE_FIELDS, 'either');
    return this.saved(await this.run(updateContactCall(input), options));
  }

  /** Subscribes the contact to the lists set to `true` and unsubscribes it from those set to `false`. */
  updateMailingLists(
    contact: { email?: string; userId?: string },
    mailingLists: LoopsContactMailingLists,
    options: LoopsContactCallOptions = {},
  ): Promise<LoopsContactSaved> {
    return this.updateContact({ ...contact, mailingLists }, options);
  }

  /** The contact with this email or user id, or `undefined` when Loops has none (and in dry run). */
  async findContact(
    identity: LoopsContactIdentity,
    options: LoopsContactCallOptions = {},
  ): Promise<LoopsContact | undefined> {
    this.check(identity, IDENTITY_FIELDS, 'exactlyOne');
    return (await this.run(findContactCall(identity), options)).value;
  }

  /**
   * Deletes the contact with this email or user id.
   * @throws LoopsContactNotFoundError when Loops has none.
   */
  async deleteContact(
    identity: LoopsContactIdentity,
    options: LoopsContactCallOptions = {},
  ): Promise<LoopsContactDeleted> {
    this.check(identity, IDENTITY_FIELDS, 'exactlyOne');
    const { attempts, dryRun } = await this.run(deleteContactCall(identity), options);
    return { attempts, dryRun };
  }

  /** @throws LoopsValidationError listing every rule the input breaks, and the catalog's, before any request. */
  private check(input: unknown, fields: string[], identity: 'email' | 'either' | 'exactlyOne'): void {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new LoopsValidationError(
        [{ path: 'contact', rule: 'isObject', message: 'the contact must be an object with email and/or userId' }],
        'contact',
      );
    }
    const issues = findContactIssues(input as Record<string, unknown>, fields, identity);
    if (issues.length > 0) throw new LoopsValidationError(issues, 'contact');
    const { properties, mailingLists } = input as LoopsUpdateContactInput;
    this.options.catalog?.enforceContact({ properties, mailingLists }, this.log.catalogViolations);
  }

  private run<T>(call: LoopsCall<T>, options: LoopsContactCallOptions) {
    return this.awaited.run(options.signal, 'answer the contact call', undefined, (signal, giveUpAt) =>
      this.sender.call(call, signal, giveUpAt),
    );
  }

  private saved(result: { value: string; attempts: number; dryRun: boolean }): LoopsContactSaved {
    return result.dryRun
      ? { id: undefined, attempts: 0, dryRun: true }
      : { id: result.value, attempts: result.attempts, dryRun: false };
  }
}
