import { Controller, HttpCode, Post, Type } from '@nestjs/common';
import { EmitLoopsEvent, type EmitLoopsEventOptions, type LoopsEventContact, SendEventDto } from '../../lib';

/** One malformed event, and what `LoopsValidationError` must say about it. */
export interface BadInput {
  name: string;
  /** Given to `sendEvent`/`enqueueEvent` as the event. */
  event: unknown;
  /** Given as the `idempotencyKey` option. */
  idempotencyKey?: unknown;
  /** The `path` one of the issues must name. */
  path: string;
  /** The `rule` of that issue, where it is worth pinning. */
  rule?: string;
  /**
   * Why the input can't be produced by the mappers of `@EmitLoopsEvent()`, which fill the event name, the
   * contact, the three maps and the key, and nothing else. Undefined when it can.
   */
  notViaMapper?: string;
}

const long = (length: number): string => 'x'.repeat(length);
const manyKeys = <T>(count: number, value: T): Record<string, T> =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, value]));
const id = { eventName: 'badInput', userId: 'user-1' } as const;

const selfCycle = (): Record<string, unknown> => {
  const object: Record<string, unknown> = { a: 1 };
  object.self = object;
  return object;
};
const arrayCycle = (): unknown[] => {
  const array: unknown[] = [];
  array.push(array);
  return array;
};
const cyclicEvent = (): Record<string, unknown> => {
  const event: Record<string, unknown> = { ...id };
  event.self = event;
  return event;
};
const throughNestedCycle = (): Record<string, unknown> => {
  const inner: Record<string, unknown> = {};
  const outer = { inner };
  inner.outer = outer;
  return { nested: outer };
};

const TOP_LEVEL = 'a mapper fills only the event name, the contact, the maps and the key: no other top-level field';

export const BAD_INPUTS: readonly BadInput[] = [
  // Wrong types of the top-level fields.
  { name: 'numeric eventName', event: { ...id, eventName: 5 }, path: 'eventName', rule: 'isNonEmptyString' },
  { name: 'boolean eventName', event: { ...id, eventName: true }, path: 'eventName', rule: 'isNonEmptyString' },
  { name: 'null eventName', event: { ...id, eventName: null }, path: 'eventName', rule: 'isNonEmptyString' },
  { name: 'array eventName', event: { ...id, eventName: ['signup'] }, path: 'eventName', rule: 'isNonEmptyString' },
  { name: 'object eventName', event: { ...id, eventName: { name: 'x' } }, path: 'eventName' },
  { name: 'empty eventName', event: { ...id, eventName: '' }, path: 'eventName', rule: 'isNonEmptyString' },
  { name: 'missing eventName', event: { userId: 'user-1' }, path: 'eventName', rule: 'required' },
  { name: 'colon in eventName', event: { ...id, eventName: 'order:placed' }, path: 'eventName', rule: 'noColon' },
  { name: 'numeric email', event: { eventName: 'badInput', email: 42 }, path: 'email', rule: 'isEmail' },
  { name: 'not an email', event: { eventName: 'badInput', email: 'not-an-email' }, path: 'email', rule: 'isEmail' },
  {
    name: 'email with a display name',
    event: { eventName: 'badInput', email: '"Ada" <ada@example.com>' },
    path: 'email',
    rule: 'isEmail',
  },
  {
    name: 'email with a CR LF header injection',
    event: { eventName: 'badInput', email: 'ada@example.com\r\nBcc: eve@example.com' },
    path: 'email',
    rule: 'isEmail',
  },
  { name: 'null email', event: { eventName: 'badInput', email: null }, path: 'email', rule: 'isEmail' },
  { name: 'numeric userId', event: { eventName: 'badInput', userId: 7 }, path: 'userId', rule: 'isNonEmptyString' },
  { name: 'empty userId', event: { eventName: 'badInput', userId: '' }, path: 'userId', rule: 'isNonEmptyString' },
  {
    name: 'object userId',
    event: { eventName: 'badInput', userId: { id: 1 } },
    path: 'userId',
    rule: 'isNonEmptyString',
  },
  // Missing identity.
  { name: 'no email nor userId', event: { eventName: 'badInput' }, path: 'email', rule: 'required' },
  {
    name: 'email and userId explicitly undefined',
    event: { eventName: 'badInput', email: undefined, userId: undefined },
    path: 'email',
    rule: 'required',
  },
  // Oversized keys and values (Loops counts 500 characters of JSON, quotes and escapes included).
  { name: 'eventName over 500 as JSON', event: { ...id, eventName: long(499) }, path: 'eventName', rule: 'maxLength' },
  {
    name: 'userId over 500 as JSON',
    event: { eventName: 'badInput', userId: long(600) },
    path: 'userId',
    rule: 'maxLength',
  },
  {
    name: 'email too long to be an address',
    event: { eventName: 'badInput', email: `${long(300)}@example.com` },
    path: 'email',
  },
  {
    name: 'event property value over 500 as JSON',
    event: { ...id, eventProperties: { note: long(499) } },
    path: 'eventProperties.note',
    rule: 'maxLength',
  },
  {
    name: 'short value that is over 500 once its quotes are escaped',
    event: { ...id, contactProperties: { quote: '"'.repeat(250) } },
    path: 'contactProperties.quote',
    rule: 'maxLength',
  },
  {
    name: 'event property key over 500 as JSON',
    event: { ...id, eventProperties: { [long(499)]: 1 } },
    path: `eventProperties.${long(40)}…`,
    rule: 'maxLength',
  },
  {
    name: 'mailing list id over 500 as JSON',
    event: { ...id, mailingLists: { [long(600)]: true } },
    path: `mailingLists.${long(40)}…`,
    rule: 'maxLength',
  },
  { name: 'empty property key', event: { ...id, eventProperties: { '': 1 } }, path: 'eventProperties' },
  // Reserved contact properties and keys that would overwrite the fixed fields of the body.
  ...['id', 'listId', 'softDeleteAt', 'teamId', 'updatedAt'].map((key): BadInput => ({
    name: `reserved contact property ${key}`,
    event: { ...id, contactProperties: { [key]: 'x' } },
    path: `contactProperties.${key}`,
    rule: 'reservedName',
  })),
  ...['email', 'userId', 'eventName', 'eventProperties', 'mailingLists'].map((key): BadInput => ({
    name: `contact property ${key} clashing with the body`,
    event: { ...id, contactProperties: { [key]: 'evil' } },
    path: `contactProperties.${key}`,
    rule: 'fixedKey',
  })),
  // Prototype pollution.
  {
    name: '__proto__ key in eventProperties',
    event: { ...id, eventProperties: JSON.parse('{"__proto__": {"polluted": true}}') },
    path: 'eventProperties.__proto__',
    rule: 'forbiddenKey',
  },
  {
    name: 'constructor key in contactProperties',
    event: { ...id, contactProperties: { constructor: 'x' } },
    path: 'contactProperties.constructor',
    rule: 'forbiddenKey',
  },
  {
    name: 'prototype key in mailingLists',
    event: { ...id, mailingLists: { prototype: true } },
    path: 'mailingLists.prototype',
    rule: 'forbiddenKey',
  },
  {
    name: 'top-level __proto__',
    event: JSON.parse('{"eventName": "badInput", "userId": "user-1", "__proto__": {"polluted": true}}'),
    path: '__proto__',
    rule: 'whitelist',
    notViaMapper: TOP_LEVEL,
  },
  {
    name: 'top-level constructor',
    event: { ...id, constructor: { prototype: { polluted: true } } },
    path: 'constructor',
    rule: 'whitelist',
    notViaMapper: TOP_LEVEL,
  },
  {
    name: 'unknown top-level field (a contact property outside contactProperties)',
    event: { ...id, firstName: 'Ada' },
    path: 'firstName',
    rule: 'whitelist',
    notViaMapper: TOP_LEVEL,
  },
  {
    name: "the official SDK's headers field",
    event: { ...id, headers: { 'Idempotency-Key': 'k' } },
    path: 'headers',
    rule: 'whitelist',
    notViaMapper: TOP_LEVEL,
  },
  // Invalid Dates, NaN and Infinity.
  {
    name: 'invalid Date in eventProperties',
    event: { ...id, eventProperties: { at: new Date('not a date') } },
    path: 'eventProperties.at',
    rule: 'isPropertyValue',
  },
  {
    name: 'invalid Date in contactProperties',
    event: { ...id, contactProperties: { since: new Date(Number.NaN) } },
    path: 'contactProperties.since',
    rule: 'isPropertyValue',
  },
  {
    name: 'NaN',
    event: { ...id, eventProperties: { total: Number.NaN } },
    path: 'eventProperties.total',
    rule: 'isPropertyValue',
  },
  {
    name: 'Infinity',
    event: { ...id, eventProperties: { total: Infinity } },
    path: 'eventProperties.total',
    rule: 'isPropertyValue',
  },
  {
    name: '-Infinity in contactProperties',
    event: { ...id, contactProperties: { score: -Infinity } },
    path: 'contactProperties.score',
    rule: 'isPropertyValue',
  },
  // Values Loops can't store, nested objects and arrays.
  {
    name: 'nested object',
    event: { ...id, eventProperties: { order: { id: 1 } } },
    path: 'eventProperties.order',
    rule: 'isPropertyValue',
  },
  {
    name: 'array value',
    event: { ...id, eventProperties: { items: [1, 2] } },
    path: 'eventProperties.items',
    rule: 'isPropertyValue',
  },
  {
    name: 'empty object in contactProperties',
    event: { ...id, contactProperties: { address: {} } },
    path: 'contactProperties.address',
    rule: 'isPropertyValue',
  },
  {
    name: 'null in eventProperties (only contact properties can be cleared)',
    event: { ...id, eventProperties: { plan: null } },
    path: 'eventProperties.plan',
    rule: 'isPropertyValue',
  },
  {
    name: 'function value',
    event: { ...id, eventProperties: { callback: () => 1 } },
    path: 'eventProperties.callback',
    rule: 'isPropertyValue',
  },
  {
    name: 'symbol value',
    event: { ...id, eventProperties: { tag: Symbol('tag') } },
    path: 'eventProperties.tag',
    rule: 'isPropertyValue',
  },
  {
    name: 'bigint value',
    event: { ...id, eventProperties: { big: 10n } },
    path: 'eventProperties.big',
    rule: 'isPropertyValue',
  },
  {
    name: 'mailing list set to a string',
    event: { ...id, mailingLists: { weekly: 'yes' } },
    path: 'mailingLists.weekly',
    rule: 'isBoolean',
  },
  {
    name: 'mailing list set to 1',
    event: { ...id, mailingLists: { weekly: 1 } },
    path: 'mailingLists.weekly',
    rule: 'isBoolean',
  },
  { name: 'eventProperties a string', event: { ...id, eventProperties: 'a=1' }, path: 'eventProperties' },
  { name: 'eventProperties an array', event: { ...id, eventProperties: [1] }, path: 'eventProperties' },
  { name: 'contactProperties a Date', event: { ...id, contactProperties: new Date(0) }, path: 'contactProperties' },
  { name: 'mailingLists null', event: { ...id, mailingLists: null }, path: 'mailingLists', rule: 'isObject' },
  // Thousands of properties (the limit is 1 000 keys per map).
  {
    name: '1 001 event properties',
    event: { ...id, eventProperties: manyKeys(1_001, 1) },
    path: 'eventProperties',
    rule: 'maxProperties',
  },
  {
    name: '5 000 contact properties',
    event: { ...id, contactProperties: manyKeys(5_000, 'x') },
    path: 'contactProperties',
    rule: 'maxProperties',
  },
  {
    name: '1 001 mailing lists',
    event: { ...id, mailingLists: manyKeys(1_001, true) },
    path: 'mailingLists',
    rule: 'maxProperties',
  },
  // Cycles.
  { name: 'map holding itself', event: { ...id, eventProperties: selfCycle() }, path: 'eventProperties.self' },
  {
    name: 'array holding itself',
    event: { ...id, eventProperties: { list: arrayCycle() } },
    path: 'eventProperties.list',
  },
  {
    name: 'cycle through a nested object',
    event: { ...id, contactProperties: throughNestedCycle() },
    path: 'contactProperties.nested',
  },
  { name: 'event holding itself', event: cyclicEvent(), path: 'self', notViaMapper: TOP_LEVEL },
  // Idempotency keys that can't be sent as a header.
  { name: 'idempotency key with CR LF', event: id, idempotencyKey: 'k\r\nX-Injected: 1', path: 'idempotencyKey' },
  { name: 'idempotency key with a trailing LF', event: id, idempotencyKey: 'key\n', path: 'idempotencyKey' },
  { name: 'idempotency key with a lone CR', event: id, idempotencyKey: 'key\rmore', path: 'idempotencyKey' },
  { name: 'idempotency key with a NUL', event: id, idempotencyKey: 'key\u0000', path: 'idempotencyKey' },
  { name: 'empty idempotency key', event: id, idempotencyKey: '', path: 'idempotencyKey' },
  { name: 'idempotency key of 101 characters', event: id, idempotencyKey: long(101), path: 'idempotencyKey' },
  { name: 'non-ASCII idempotency key', event: id, idempotencyKey: 'clé', path: 'idempotencyKey' },
  { name: 'numeric idempotency key', event: id, idempotencyKey: 12345, path: 'idempotencyKey' },
  // Not an object at all.
  { name: 'null event', event: null, path: 'event', rule: 'isObject' },
  { name: 'undefined event', event: undefined, path: 'event', rule: 'isObject' },
  { name: 'string event', event: 'signup', path: 'event', rule: 'isObject' },
  { name: 'number event', event: 42, path: 'event', rule: 'isObject' },
  { name: 'array event', event: [id], path: 'event', rule: 'isObject' },
  { name: 'function event', event: () => id, path: 'event', rule: 'isObject' },
  { name: 'Map event', event: new Map(Object.entries(id)), path: 'eventName', rule: 'required' },
  {
    name: 'SendEventDto instance with a bad field',
    event: Object.assign(new SendEventDto(), { eventName: 'a:b', userId: 'user-1' }),
    path: 'eventName',
    rule: 'noColon',
  },
];

/** Bad inputs a decorated route's mappers can produce. */
export const MAPPABLE_BAD_INPUTS: ReadonlyArray<{ index: number; input: BadInput }> = BAD_INPUTS.map(
  (input, index) => ({ index, input }),
).filter(({ input }) => input.notViaMapper === undefined);

const TOP_LEVEL_FIELDS = ['eventName', 'email', 'userId', 'eventProperties', 'contactProperties', 'mailingLists'];

/**
 * `@EmitLoopsEvent()` options whose mappers produce the bad input: the contact mapper returns the identity (or
 * the whole input when it is not an object), the map mappers return the maps, `idempotencyKey` the key.
 */
export function emitOptionsFor(input: BadInput): EmitLoopsEventOptions {
  const { event } = input;
  const key = input.idempotencyKey === undefined ? {} : { idempotencyKey: () => input.idempotencyKey as string };
  if (typeof event !== 'object' || event === null || Array.isArray(event) || event instanceof Map) {
    return { eventName: 'badInput', contact: () => event as LoopsEventContact, ...key };
  }
  const fields = event as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((field) => !TOP_LEVEL_FIELDS.includes(field));
  if (unknown.length > 0) throw new Error(`${input.name}: ${unknown.join(', ')} can't come from a mapper`);
  const pick = (field: string): Record<string, unknown> => (field in fields ? { [field]: fields[field] } : {});
  return {
    eventName: fields.eventName as string,
    contact: () => ({ ...pick('email'), ...pick('userId') }) as LoopsEventContact,
    ...('eventProperties' in fields && { eventProperties: () => fields.eventProperties as never }),
    ...('contactProperties' in fields && { contactProperties: () => fields.contactProperties as never }),
    ...('mailingLists' in fields && { mailingLists: () => fields.mailingLists as never }),
    ...key,
  };
}

/**
 * The field and rule the interceptor names for the event `emitOptionsFor(input)` builds: the input's own, except
 * where its contact mapper gives no contact (the contact rule fails first) or something that can't be one.
 */
export function expectedRouteIssue(input: BadInput): { path: string; rule?: string } {
  const { event } = input;
  if (event === undefined || event === null) return { path: 'email', rule: 'required' };
  if (typeof event !== 'object' || Array.isArray(event) || event instanceof Map)
    return { path: 'contact', rule: 'isObject' };
  return { path: input.path, rule: input.rule };
}

/**
 * A controller with one route per mappable bad input, `POST /bad-input/<index>`: each answers
 * `{ ok: true, case: <index> }` with 200 and emits, in the background, the event its mappers build.
 */
export function createBadInputController(): Type {
  class BadInputController {}
  const prototype = BadInputController.prototype as unknown as Record<string, unknown>;
  for (const { index, input } of MAPPABLE_BAD_INPUTS) {
    const method = `badInput${index}`;
    prototype[method] = { [method]: () => ({ ok: true, case: index }) }[method];
    const descriptor = Object.getOwnPropertyDescriptor(prototype, method) as PropertyDescriptor;
    for (const decorate of [Post(String(index)), HttpCode(200), EmitLoopsEvent(emitOptionsFor(input))]) {
      decorate(prototype, method, descriptor);
    }
  }
  Controller('bad-input')(BadInputController);
  return BadInputController;
}
