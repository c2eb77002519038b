import { didYouMean } from '../utils/closest-name';
import type { LoopsAccountSnapshot } from './loops-account-snapshot';
import { BUILT_IN_CONTACT_PROPERTIES, type LoopsCatalog, type LoopsPropertyType } from './loops-catalog';

export type LoopsCatalogDriftKind =
  | 'event-missing'
  | 'event-property-missing'
  | 'event-property-type'
  | 'contact-property-missing'
  | 'contact-property-type'
  | 'mailing-list-missing';

export type LoopsCatalogNoteKind =
  'event-unused' | 'event-property-unused' | 'contact-property-unused' | 'mailing-list-unused';

/** One difference between the catalog and the account, with a sentence saying it. */
export interface LoopsCatalogFinding<TKind extends string> {
  kind: TKind;
  message: string;
  eventName?: string;
  property?: string;
  catalogType?: LoopsPropertyType;
  accountType?: LoopsPropertyType;
  mailingList?: { name: string; id: string };
}

export interface LoopsCatalogComparison {
  /** What the code would send that Loops would not take as meant: each one is a bug waiting. */
  drift: LoopsCatalogFinding<LoopsCatalogDriftKind>[];
  /** What the account has that the catalog never uses; harmless, but worth a look. */
  notes: LoopsCatalogFinding<LoopsCatalogNoteKind>[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const baseType = (type: string): LoopsPropertyType => type.replace('?', '') as LoopsPropertyType;
const article = (type: string): string => (type === 'string' ? 'a string' : `a ${type}`);

/**
 * Compares a catalog with the account, in a stable order (events by name, then properties by name), so that
 * two runs against the same account print the same lines. Contact properties and mailing lists are compared
 * only when the catalog declares them and the snapshot has them.
 */
export function compareCatalog(catalog: LoopsCatalog, account: LoopsAccountSnapshot): LoopsCatalogComparison {
  const comparison: LoopsCatalogComparison = { drift: [], notes: [] };
  compareEvents(catalog, account, comparison);
  compareContactProperties(catalog, account, comparison);
  compareMailingLists(catalog, account, comparison);
  return comparison;
}

function compareEvents(catalog: LoopsCatalog, account: LoopsAccountSnapshot, { drift, notes }: LoopsCatalogComparison) {
  const ownEvents = [...account.events].filter(([, event]) => event.platform === null).map(([name]) => name);
  const names = [...new Set([...Object.keys(catalog.events), ...ownEvents])].sort(byName);
  for (const eventName of names) {
    const declared = ownValue(catalog.events, eventName);
    const existing = account.events.get(eventName);
    if (!declared) {
      notes.push({
        kind: 'event-unused',
        eventName,
        message: `event "${eventName}" is in Loops but not in the catalog`,
      });
      continue;
    }
    if (!existing) {
      drift.push({
        kind: 'event-missing',
        eventName,
        message:
          `event "${eventName}" is in the catalog but not in Loops: sending it would create a new event silently` +
          didYouMean(eventName, account.events.keys()),
      });
      continue;
    }
    const inLoops = existing.properties ?? new Map<string, LoopsPropertyType>();
    for (const property of [...new Set([...Object.keys(declared), ...inLoops.keys()])].sort(byName)) {
      const declaredType = ownValue(declared, property);
      const catalogType = declaredType === undefined ? undefined : baseType(declaredType);
      const accountType = inLoops.get(property);
      const prefix = `event "${eventName}": property "${property}"`;
      if (catalogType === undefined) {
        notes.push({
          kind: 'event-property-unused',
          eventName,
          property,
          accountType,
          message: `${prefix} is in Loops but not in the catalog`,
        });
      } else if (accountType === undefined) {
        drift.push({
          kind: 'event-property-missing',
          eventName,
          property,
          catalogType,
          message: `${prefix} is in the catalog but the event in Loops has no such property${didYouMean(property, inLoops.keys())}`,
        });
      } else if (catalogType !== accountType) {
        drift.push({
          kind: 'event-property-type',
          eventName,
          property,
          catalogType,
          accountType,
          message: `${prefix} is ${article(catalogType)} in the catalog but ${article(accountType)} in Loops`,
        });
      }
    }
  }
}

function compareContactProperties(
  catalog: LoopsCatalog,
  account: LoopsAccountSnapshot,
  { drift, notes }: LoopsCatalogComparison,
): void {
  if (!catalog.contactProperties || !account.contactProperties) return;
  const inLoops = new Map<string, LoopsPropertyType>(account.contactProperties.map(({ key, type }) => [key, type]));
  const declared = catalog.contactProperties;
  for (const property of [...new Set([...Object.keys(declared), ...inLoops.keys()])].sort(byName)) {
    const catalogType = ownValue(declared, property);
    // Built-in properties are never custom: they exist in every account, with their fixed types.
    const accountType =
      inLoops.get(property) ?? ownValue(BUILT_IN_CONTACT_PROPERTIES as Record<string, LoopsPropertyType>, property);
    const prefix = `contact property "${property}"`;
    if (catalogType === undefined) {
      notes.push({
        kind: 'contact-property-unused',
        property,
        accountType,
        message: `${prefix} is in Loops but not in the catalog`,
      });
    } else if (accountType === undefined) {
      drift.push({
        kind: 'contact-property-missing',
        property,
        catalogType,
        message: `${prefix} is in the catalog but does not exist in Loops${didYouMean(property, inLoops.keys())}`,
      });
    } else if (catalogType !== accountType) {
      drift.push({
        kind: 'contact-property-type',
        property,
        catalogType,
        accountType,
        message: `${prefix} is ${article(catalogType)} in the catalog but ${article(accountType)} in Loops`,
      });
    }
  }
}

function compareMailingLists(
  catalog: LoopsCatalog,
  account: LoopsAccountSnapshot,
  { drift, notes }: LoopsCatalogComparison,
): void {
  if (!catalog.mailingLists || !account.mailingLists) return;
  const declaredIds = new Set(Object.values(catalog.mailingLists));
  const existingIds = new Set(account.mailingLists.map((list) => list.id));
  for (const [name, id] of Object.entries(catalog.mailingLists).sort(([a], [b]) => byName(a, b))) {
    if (existingIds.has(id)) continue;
    drift.push({
      kind: 'mailing-list-missing',
      mailingList: { name, id },
      message: `mailing list "${name}" (${id}) is in the catalog but no list in Loops has this id`,
    });
  }
  const unused = account.mailingLists.filter((list) => !declaredIds.has(list.id));
  for (const { name, id } of unused.sort((a, b) => byName(a.name, b.name) || byName(a.id, b.id))) {
    notes.push({
      kind: 'mailing-list-unused',
      mailingList: { name, id },
      message: `mailing list "${name}" (${id}) is in Loops but not in the catalog`,
    });
  }
}

/** `record[name]` when the record has it itself: Loops names such as `constructor` must not find Object's members. */
function ownValue<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
