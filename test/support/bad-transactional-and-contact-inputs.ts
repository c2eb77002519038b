/** One malformed input, and what `LoopsValidationError` must say about it. */
export interface BadCallInput {
  name: string;
  input: unknown;
  idempotencyKey?: unknown;
  /** The `path` one of the issues must name, and its `rule`. */
  path: string;
  rule: string;
}

const long = (length: number): string => 'x'.repeat(length);
const manyKeys = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']));
const ok = { transactionalId: 'cwelcome', email: 'ada@example.com' } as const;
const file = { filename: 'a.pdf', contentType: 'application/pdf', data: 'aGk=' } as const;
/** 10 MiB and one byte, decoded. */
const tooLarge = 'A'.repeat(4 * Math.ceil((10 * 1024 * 1024 + 1) / 3));

/** Every kind of input `LoopsTransactionalService` refuses, each naming its field and rule. */
export const BAD_TRANSACTIONAL_INPUTS: readonly BadCallInput[] = [
  { name: 'not an object', input: 'welcome', path: 'transactional', rule: 'isObject' },
  { name: 'an array', input: [ok], path: 'transactional', rule: 'isObject' },
  { name: 'no transactionalId', input: { email: 'ada@example.com' }, path: 'transactionalId', rule: 'required' },
  {
    name: 'numeric transactionalId',
    input: { ...ok, transactionalId: 7 },
    path: 'transactionalId',
    rule: 'isNonEmptyString',
  },
  {
    name: 'empty transactionalId',
    input: { ...ok, transactionalId: '' },
    path: 'transactionalId',
    rule: 'isNonEmptyString',
  },
  {
    name: "the email's name for its id",
    input: { ...ok, transactionalId: 'Welcome email' },
    path: 'transactionalId',
    rule: 'isTransactionalId',
  },
  {
    name: 'transactionalId over 500 as JSON',
    input: { ...ok, transactionalId: long(499) },
    path: 'transactionalId',
    rule: 'maxLength',
  },
  { name: 'no email', input: { transactionalId: 'c1' }, path: 'email', rule: 'required' },
  { name: 'not an email', input: { ...ok, email: 'ada' }, path: 'email', rule: 'isEmail' },
  {
    name: 'email with a header injection',
    input: { ...ok, email: 'ada@example.com\r\nBcc: eve@example.com' },
    path: 'email',
    rule: 'isEmail',
  },
  {
    name: 'a userId instead of an email',
    input: { transactionalId: 'c1', userId: 'u1' },
    path: 'userId',
    rule: 'whitelist',
  },
  { name: 'string addToAudience', input: { ...ok, addToAudience: 'yes' }, path: 'addToAudience', rule: 'isBoolean' },
  { name: 'dataVariables an array', input: { ...ok, dataVariables: ['Ada'] }, path: 'dataVariables', rule: 'isObject' },
  {
    name: 'dataVariables a Map',
    input: { ...ok, dataVariables: new Map([['name', 'Ada']]) },
    path: 'dataVariables',
    rule: 'isObject',
  },
  {
    name: 'a boolean data variable',
    input: { ...ok, dataVariables: { vip: true } },
    path: 'dataVariables.vip',
    rule: 'isDataVariable',
  },
  {
    name: 'a null data variable',
    input: { ...ok, dataVariables: { name: null } },
    path: 'dataVariables.name',
    rule: 'isDataVariable',
  },
  {
    name: 'a Date data variable',
    input: { ...ok, dataVariables: { at: new Date() } },
    path: 'dataVariables.at',
    rule: 'isDataVariable',
  },
  {
    name: 'a NaN data variable',
    input: { ...ok, dataVariables: { n: Number.NaN } },
    path: 'dataVariables.n',
    rule: 'isDataVariable',
  },
  {
    name: 'a nested object data variable',
    input: { ...ok, dataVariables: { user: { name: 'Ada' } } },
    path: 'dataVariables.user',
    rule: 'isDataVariable',
  },
  {
    name: 'an array of strings',
    input: { ...ok, dataVariables: { items: ['a'] } },
    path: 'dataVariables.items[0]',
    rule: 'isObject',
  },
  {
    name: 'an array item with a nested value',
    input: { ...ok, dataVariables: { items: [{ tags: ['a'] }] } },
    path: 'dataVariables.items[0].tags',
    rule: 'isDataVariable',
  },
  {
    name: 'an empty data variable name',
    input: { ...ok, dataVariables: { '': 'x' } },
    path: 'dataVariables',
    rule: 'nonEmptyKey',
  },
  {
    name: 'a __proto__ data variable',
    input: { ...ok, dataVariables: JSON.parse('{"__proto__": {"polluted": 1}}') },
    path: 'dataVariables.__proto__',
    rule: 'forbiddenKey',
  },
  {
    name: '1 001 data variables',
    input: { ...ok, dataVariables: manyKeys(1_001) },
    path: 'dataVariables',
    rule: 'maxProperties',
  },
  { name: 'attachments not an array', input: { ...ok, attachments: file }, path: 'attachments', rule: 'isArray' },
  {
    name: 'an attachment that is a string',
    input: { ...ok, attachments: ['aGk='] },
    path: 'attachments[0]',
    rule: 'isObject',
  },
  {
    name: 'an attachment without a file name',
    input: { ...ok, attachments: [{ ...file, filename: '' }] },
    path: 'attachments[0].filename',
    rule: 'isNonEmptyString',
  },
  {
    name: 'a file name with a line break',
    input: { ...ok, attachments: [{ ...file, filename: 'a\r\nX-Evil: 1' }] },
    path: 'attachments[0].filename',
    rule: 'noControlCharacters',
  },
  {
    name: 'no content type',
    input: { ...ok, attachments: [{ filename: 'a', data: 'aGk=' }] },
    path: 'attachments[0].contentType',
    rule: 'isNonEmptyString',
  },
  {
    name: 'a content type that is no MIME type',
    input: { ...ok, attachments: [{ ...file, contentType: 'pdf' }] },
    path: 'attachments[0].contentType',
    rule: 'isMimeType',
  },
  {
    name: 'data that is not base64',
    input: { ...ok, attachments: [{ ...file, data: 'héllo' }] },
    path: 'attachments[0].data',
    rule: 'isBase64',
  },
  {
    name: 'base64 with line breaks',
    input: { ...ok, attachments: [{ ...file, data: 'aGVs\nbG8=' }] },
    path: 'attachments[0].data',
    rule: 'isBase64',
  },
  {
    name: 'base64 cut short',
    input: { ...ok, attachments: [{ ...file, data: 'aGVsbG8' }] },
    path: 'attachments[0].data',
    rule: 'isBase64',
  },
  {
    name: 'base64 with padding before its end',
    input: { ...ok, attachments: [{ ...file, data: 'aG=k' }] },
    path: 'attachments[0].data',
    rule: 'isBase64',
  },
  {
    name: 'base64 with three padding characters',
    input: { ...ok, attachments: [{ ...file, data: 'aGk=A===' }] },
    path: 'attachments[0].data',
    rule: 'isBase64',
  },
  {
    name: 'a data URL',
    input: { ...ok, attachments: [{ ...file, data: 'data:application/pdf;base64,aGk=' }] },
    path: 'attachments[0].data',
    rule: 'isBase64',
  },
  {
    name: 'a Buffer as data',
    input: { ...ok, attachments: [{ ...file, data: Buffer.from('hi') }] },
    path: 'attachments[0].data',
    rule: 'isNonEmptyString',
  },
  {
    name: 'an attachment field Loops does not take',
    input: { ...ok, attachments: [{ ...file, inline: true }] },
    path: 'attachments[0].inline',
    rule: 'whitelist',
  },
  {
    name: 'attachments over 10 MiB',
    input: { ...ok, attachments: [{ ...file, data: tooLarge }] },
    path: 'attachments',
    rule: 'maxSize',
  },
  { name: 'an unknown field', input: { ...ok, subject: 'Hi' }, path: 'subject', rule: 'whitelist' },
  {
    name: 'an invalid idempotency key',
    input: ok,
    idempotencyKey: 'has space',
    path: 'idempotencyKey',
    rule: 'idempotencyKey',
  },
];

const contact = { email: 'ada@example.com' } as const;

/** Every kind of input the write calls (`createContact`, `updateContact`) refuse. */
export const BAD_CONTACT_WRITES: readonly BadCallInput[] = [
  { name: 'not an object', input: 'ada@example.com', path: 'contact', rule: 'isObject' },
  { name: 'no email nor userId', input: { properties: { plan: 'pro' } }, path: 'email', rule: 'required' },
  { name: 'not an email', input: { email: 'ada' }, path: 'email', rule: 'isEmail' },
  { name: 'numeric userId', input: { ...contact, userId: 7 }, path: 'userId', rule: 'isNonEmptyString' },
  { name: 'userId over 500 as JSON', input: { ...contact, userId: long(499) }, path: 'userId', rule: 'maxLength' },
  { name: 'properties an array', input: { ...contact, properties: ['pro'] }, path: 'properties', rule: 'isObject' },
  {
    name: 'a reserved property',
    input: { ...contact, properties: { teamId: 't' } },
    path: 'properties.teamId',
    rule: 'reservedName',
  },
  {
    name: 'email among the properties',
    input: { ...contact, properties: { email: 'eve@example.com' } },
    path: 'properties.email',
    rule: 'fixedKey',
  },
  {
    name: 'a nested property',
    input: { ...contact, properties: { address: { city: 'Paris' } } },
    path: 'properties.address',
    rule: 'isPropertyValue',
  },
  {
    name: 'an array property',
    input: { ...contact, properties: { tags: ['a'] } },
    path: 'properties.tags',
    rule: 'isPropertyValue',
  },
  {
    name: 'an invalid Date',
    input: { ...contact, properties: { at: new Date('nope') } },
    path: 'properties.at',
    rule: 'isPropertyValue',
  },
  {
    name: 'Infinity',
    input: { ...contact, properties: { seats: Infinity } },
    path: 'properties.seats',
    rule: 'isPropertyValue',
  },
  {
    name: 'a numeric firstName',
    input: { ...contact, properties: { firstName: 1 } },
    path: 'properties.firstName',
    rule: 'isString',
  },
  {
    name: 'a string subscribed',
    input: { ...contact, properties: { subscribed: 'yes' } },
    path: 'properties.subscribed',
    rule: 'isBoolean',
  },
  {
    name: 'a value over 500 as JSON',
    input: { ...contact, properties: { bio: long(499) } },
    path: 'properties.bio',
    rule: 'maxLength',
  },
  {
    name: 'a key over 500 as JSON',
    input: { ...contact, properties: { [long(499)]: 'x' } },
    path: `properties.${long(40)}…`,
    rule: 'maxLength',
  },
  {
    name: 'a __proto__ property',
    input: { ...contact, properties: JSON.parse('{"__proto__": {"polluted": 1}}') },
    path: 'properties.__proto__',
    rule: 'forbiddenKey',
  },
  {
    name: '1 001 properties',
    input: { ...contact, properties: manyKeys(1_001) },
    path: 'properties',
    rule: 'maxProperties',
  },
  {
    name: 'a mailing list set to a string',
    input: { ...contact, mailingLists: { list1: 'yes' } },
    path: 'mailingLists.list1',
    rule: 'isBoolean',
  },
  {
    name: 'mailingLists an array',
    input: { ...contact, mailingLists: ['list1'] },
    path: 'mailingLists',
    rule: 'isObject',
  },
  { name: 'a custom property beside email', input: { ...contact, plan: 'pro' }, path: 'plan', rule: 'whitelist' },
];

/** Every kind of identity `findContact` and `deleteContact` refuse. */
export const BAD_CONTACT_IDENTITIES: readonly BadCallInput[] = [
  { name: 'none', input: {}, path: 'email', rule: 'required' },
  { name: 'both', input: { email: 'ada@example.com', userId: 'u1' }, path: 'userId', rule: 'oneIdentity' },
  { name: 'not an email', input: { email: 'ada' }, path: 'email', rule: 'isEmail' },
  { name: 'an empty userId', input: { userId: '' }, path: 'userId', rule: 'isNonEmptyString' },
  {
    name: 'properties with an identity',
    input: { email: 'ada@example.com', properties: {} },
    path: 'properties',
    rule: 'whitelist',
  },
  { name: 'null', input: null, path: 'contact', rule: 'isObject' },
];
