import { describeValue } from '../dto/loops-event-rules';
import type { SendEventInput } from '../dto/send-event.dto';
import { LoopsValidationError, type LoopsValidationIssue } from '../errors/loops-validation.error';
import { didYouMean } from '../utils/closest-name';
import { BUILT_IN_CONTACT_PROPERTIES, type LoopsCatalog, type LoopsPropertyType } from './loops-catalog';
import { isLoopsDateString } from './loops-date-string';

/** `error`: a send that breaks the catalog throws `LoopsValidationError`. `warn`: it is logged and sent. */
export type LoopsCatalogViolations = 'error' | 'warn';

interface DeclaredProperty {
  type: LoopsPropertyType;
  optional: boolean;
}

/** Distinct warnings remembered in `warn` mode; past this the memory starts over. */
const MAX_REMEMBERED_WARNINGS = 1_000;

/**
 * Checks each event against the app's catalog before anything is sent: the event must be declared, its
 * properties declared, present when required and of the declared type, its contact properties and mailing
 * lists declared (when the catalog lists them).
 */
export class CatalogEnforcer {
  private readonly events: ReadonlyMap<string, ReadonlyMap<string, DeclaredProperty>>;
  private readonly contactProperties: ReadonlyMap<string, LoopsPropertyType> | undefined;
  private readonly mailingListIds: ReadonlySet<string> | undefined;
  /** Warnings already logged, so that a busy route breaking the catalog doesn't flood the log. */
  private readonly warned = new Set<string>();

  constructor(
    readonly catalog: LoopsCatalog,
    readonly violations: LoopsCatalogViolations,
  ) {
    this.events = new Map(
      Object.entries(catalog.events).map(([name, properties]) => [
        name,
        new Map(
          Object.entries(properties).map(([property, type]) => [
            property,
            { type: type.replace('?', '') as LoopsPropertyType, optional: type.endsWith('?') },
          ]),
        ),
      ]),
    );
    this.contactProperties =
      catalog.contactProperties &&
      new Map(Object.entries({ ...BUILT_IN_CONTACT_PROPERTIES, ...catalog.contactProperties }));
    this.mailingListIds = catalog.mailingLists && new Set(Object.values(catalog.mailingLists));
  }

  /**
   * @throws LoopsValidationError listing every way `event` breaks the catalog, in `error` mode; in `warn`
   * mode the same problems are logged to `logger` instead, once each.
   */
  enforce(event: SendEventInput, logger: { warn(message: string): void }): void {
    const issues = this.findIssues(event);
    if (issues.length === 0) return;
    if (this.violations === 'error') throw new LoopsValidationError(issues);
    this.warnOnce(`Loops event "${event.eventName}" breaks the event catalog (sent anyway): `, issues, logger);
  }

  /**
   * A contact call's properties and mailing lists against the catalog's, when it declares them: `error` mode
   * throws, `warn` logs once each.
   * @throws LoopsValidationError in `error` mode, listing every problem.
   */
  enforceContact(
    contact: { properties?: Record<string, unknown>; mailingLists?: Record<string, unknown> },
    logger: { warn(message: string): void },
  ): void {
    const issues = [
      ...this.findContactPropertyIssues(contact.properties, 'properties'),
      ...this.findMailingListIssues(contact.mailingLists),
    ];
    if (issues.length === 0) return;
    if (this.violations === 'error') throw new LoopsValidationError(issues, 'contact');
    this.warnOnce('Loops contact breaks the event catalog (sent anyway): ', issues, logger);
  }

  /** One line with the problems not logged before under `prefix` (which names the event), if any: each once. */
  private warnOnce(prefix: string, issues: LoopsValidationIssue[], logger: { warn(message: string): void }): void {
    const fresh = issues.filter((issue) => !this.warned.has(prefix + issue.message));
    if (fresh.length === 0) return;
    if (this.warned.size + fresh.length > MAX_REMEMBERED_WARNINGS) this.warned.clear();
    for (const issue of fresh) this.warned.add(prefix + issue.message);
    logger.warn(prefix + fresh.map((issue) => issue.message).join('; '));
  }

  private findIssues(event: SendEventInput): LoopsValidationIssue[] {
    const declared = this.events.get(event.eventName);
    const issues: LoopsValidationIssue[] = [];
    if (!declared) {
      issues.push({
        path: 'eventName',
        rule: 'catalogEvent',
        message:
          `eventName "${event.eventName}" is not in the event catalog${didYouMean(event.eventName, this.events.keys())}; ` +
          'Loops would create it as a new event that no workflow listens to',
      });
    } else {
      issues.push(...this.findEventPropertyIssues(event, declared));
    }
    issues.push(...this.findContactPropertyIssues(event.contactProperties, 'contactProperties'));
    issues.push(...this.findMailingListIssues(event.mailingLists));
    return issues;
  }

  private findMailingListIssues(lists: Record<string, unknown> | undefined): LoopsValidationIssue[] {
    const issues: LoopsValidationIssue[] = [];
    for (const [id, subscribed] of Object.entries(lists ?? {})) {
      if (subscribed === undefined) continue;
      if (this.mailingListIds && !this.mailingListIds.has(id)) {
        issues.push({
          path: `mailingLists.${id}`,
          rule: 'catalogMailingList',
          message: `mailingLists.${id} is not the id of a mailing list in the catalog`,
        });
      }
    }
    return issues;
  }

  private findEventPropertyIssues(
    event: SendEventInput,
    declared: ReadonlyMap<string, DeclaredProperty>,
  ): LoopsValidationIssue[] {
    const issues: LoopsValidationIssue[] = [];
    const sent = event.eventProperties ?? {};
    const of = `of "${event.eventName}"`;
    for (const [property, value] of Object.entries(sent)) {
      // Undefined is left out of the body, as JSON leaves it out: absent, as the required check below sees it too.
      if (value === undefined) continue;
      const path = `eventProperties.${property}`;
      const declaration = declared.get(property);
      if (!declaration) {
        issues.push({
          path,
          rule: 'catalogProperty',
          message: `${path} is not a property ${of} in the event catalog${didYouMean(property, declared.keys())}`,
        });
      } else if (!matchesType(value, declaration.type)) {
        issues.push(typeIssue(path, declaration.type, value, ` ${of}`));
      }
    }
    for (const [property, declaration] of declared) {
      if (!declaration.optional && (!Object.hasOwn(sent, property) || sent[property] === undefined)) {
        const path = `eventProperties.${property}`;
        issues.push({ path, rule: 'catalogRequired', message: `${path} is required ${of} by the event catalog` });
      }
    }
    return issues;
  }

  private findContactPropertyIssues(
    sent: Record<string, unknown> | undefined,
    field: 'contactProperties' | 'properties',
  ): LoopsValidationIssue[] {
    const declared = this.contactProperties;
    if (!declared || !sent) return [];
    const issues: LoopsValidationIssue[] = [];
    for (const [property, value] of Object.entries(sent)) {
      if (value === undefined) continue;
      const path = `${field}.${property}`;
      const type = declared.get(property);
      if (!type) {
        issues.push({
          path,
          rule: 'catalogContactProperty',
          message: `${path} is not a contact property in the catalog${didYouMean(property, declared.keys())}`,
        });
      } else if (value !== null && !matchesType(value, type)) {
        issues.push(typeIssue(path, type, value, ''));
      }
    }
    return issues;
  }
}

function matchesType(value: unknown, type: LoopsPropertyType): boolean {
  if (type === 'date') return value instanceof Date || (typeof value === 'string' && isLoopsDateString(value));
  return typeof value === type;
}

function typeIssue(path: string, type: LoopsPropertyType, value: unknown, of: string): LoopsValidationIssue {
  const expected = type === 'date' ? 'a Date or an ISO 8601 date string' : `a ${type}`;
  const got = type === 'date' && typeof value === 'string' ? 'a string that is not a date' : describeValue(value);
  return { path, rule: 'catalogType', message: `${path} must be ${expected}${of} (got ${got})` };
}
