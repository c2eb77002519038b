import { FIXED_BODY_KEYS, PROTOTYPE_KEYS, RESERVED_CONTACT_PROPERTIES } from '../dto/loops-event-rules';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { LOOPS_PROPERTY_TYPES, type LoopsCatalog } from './loops-catalog';

const CATALOG_FIELDS = ['events', 'contactProperties', 'mailingLists'];
const EVENT_PROPERTY_TYPES = LOOPS_PROPERTY_TYPES.flatMap((type) => [type, `${type}?`]);
const quoted = (names: readonly string[]): string => names.map((name) => `'${name}'`).join(', ');

/**
 * Checks that `value` is a well-formed catalog, so that a mistake in it stops the app (or the CLI) with the
 * path and the rule, rather than making every send fail.
 * @param option where the catalog came from, the start of every path in the errors (`catalog`, a file name).
 * @throws LoopsConfigurationError naming the offending path.
 */
export function validateLoopsCatalog(value: unknown, option: string): LoopsCatalog {
  const catalog = readMap(value, option, 'must be an object like defineLoopsEvents() takes');
  for (const field of Object.keys(catalog)) {
    if (!CATALOG_FIELDS.includes(field)) {
      throw new LoopsConfigurationError(`${option}.${field}`, `is not a catalog field (${CATALOG_FIELDS.join(', ')})`);
    }
  }
  const events = readMap(catalog.events, `${option}.events`, 'is required: an object of event name to properties');
  for (const [eventName, properties] of Object.entries(events)) {
    const path = `${option}.events.${eventName}`;
    if (eventName === '' || eventName.includes(':')) {
      throw new LoopsConfigurationError(path, 'is not a valid event name: it must be non-empty, without ":"');
    }
    const declared = readMap(properties, path, 'must be an object of property name to type ({} if it has none)');
    readTypes(declared, path, EVENT_PROPERTY_TYPES, []);
  }
  if (catalog.contactProperties !== undefined) {
    const path = `${option}.contactProperties`;
    const declared = readMap(catalog.contactProperties, path, 'must be an object of property name to type');
    readTypes(declared, path, LOOPS_PROPERTY_TYPES, [...RESERVED_CONTACT_PROPERTIES, ...FIXED_BODY_KEYS]);
  }
  if (catalog.mailingLists !== undefined) {
    const path = `${option}.mailingLists`;
    const lists = readMap(catalog.mailingLists, path, 'must be an object of list name to its id in Loops');
    for (const [name, id] of Object.entries(lists)) {
      if (typeof id !== 'string' || id.trim() === '') {
        throw new LoopsConfigurationError(`${path}.${name}`, "must be the mailing list's id in Loops (a string)");
      }
    }
  }
  return catalog as unknown as LoopsCatalog;
}

function readMap(value: unknown, path: string, rule: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoopsConfigurationError(path, rule);
  }
  return value as Record<string, unknown>;
}

function readTypes(
  declared: Record<string, unknown>,
  path: string,
  types: readonly string[],
  forbidden: readonly string[],
): void {
  for (const [name, type] of Object.entries(declared)) {
    if (name === '' || PROTOTYPE_KEYS.includes(name) || forbidden.includes(name)) {
      throw new LoopsConfigurationError(`${path}.${name}`, 'is not allowed as a property name');
    }
    if (typeof type !== 'string' || !types.includes(type)) {
      throw new LoopsConfigurationError(`${path}.${name}`, `must be one of ${quoted(types)}`);
    }
  }
}
