import type { LoopsAccountSnapshot } from '../catalog/loops-account-snapshot';
import type { LoopsCatalog, LoopsEventPropertyType } from '../catalog/loops-catalog';
import { PROTOTYPE_KEYS } from '../dto/loops-event-rules';

export interface RenderCatalogInput {
  account: LoopsAccountSnapshot;
  baseUrl: string;
  pulledAt: Date;
  /** The catalog the file held before, whose optional markers (`'string?'`) are kept where the type is unchanged. */
  previous?: LoopsCatalog;
}

export interface RenderedCatalog {
  source: string;
  /** What the account has that a catalog can't declare (`constructor`...), left out of the file: one line each. */
  leftOut: string[];
  events: number;
  contactProperties: number;
  mailingLists: number;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A TypeScript string literal in single quotes, the quotes of Nest's default Prettier setup. */
function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** A key of an object literal; `__proto__`, even quoted, would set the object's prototype instead of a property. */
const key = (name: string): string =>
  name === '__proto__' ? `[${quote(name)}]` : IDENTIFIER.test(name) ? name : quote(name);
/** Text that goes into a one-line comment: no line breaks, and nothing that could end a block comment. */
const commentText = (text: string): string => text.replace(/\s+/g, ' ').replace(/\*\//g, '*\\/').trim();

/**
 * The catalog file `nestjs-loops pull` writes: sorted by name everywhere, so that pulling the same account
 * twice gives the same file but for the date in its header, and a change in the account shows as a small diff.
 */
export function renderCatalog({ account, baseUrl, pulledAt, previous }: RenderCatalogInput): RenderedCatalog {
  const leftOut: string[] = [];
  const declarable = (name: string, where: string): boolean => {
    if (!PROTOTYPE_KEYS.includes(name)) return true;
    leftOut.push(`${where} property "${name}" left out: a catalog can't declare it (a name every object has)`);
    return false;
  };
  const events = [...account.events].filter(([, event]) => event.platform === null).sort(([a], [b]) => byName(a, b));
  const contactProperties = [...(account.contactProperties ?? [])]
    .filter((property) => declarable(property.key, 'contact'))
    .sort((a, b) => byName(a.key, b.key));
  const lists = nameMailingLists(account.mailingLists ?? [], previous?.mailingLists ?? {});
  const lines = [
    `// Written by \`nestjs-loops pull\` on ${pulledAt.toISOString()} from ${commentText(baseUrl)} (team "${commentText(account.teamName)}").`,
    '// Pull again to refresh it, and run `nestjs-loops check` in CI to compare it with the account. A `?` after a',
    "// property type ('string?') lets sends leave that property out; pull keeps the ones you add.",
    "import { defineLoopsEvents } from 'nestjs-loops';",
    '',
    '/** The mailing lists of the account: their ids by name, e.g. `mailingLists: { [MailingLists.news]: true }`. */',
    'export const MailingLists = {',
    ...lists.flatMap(({ constant, list }) => [
      `  /** ${commentText(`${list.name} (${list.isPublic ? 'public' : 'private'})${list.description ? `: ${list.description}` : ''}`)} */`,
      `  ${key(constant)}: ${quote(list.id)},`,
    ]),
    '} as const;',
    '',
    'export const catalog = defineLoopsEvents({',
    '  events: {',
    ...events.flatMap(([name, event]) => {
      const properties = [...(event.properties ?? [])]
        .filter(([property]) => declarable(property, `event "${name}":`))
        .sort(([a], [b]) => byName(a, b));
      if (properties.length === 0) return [`    ${key(name)}: {},`];
      return [
        `    ${key(name)}: {`,
        ...properties.map(([property, type]) => {
          const before: LoopsEventPropertyType | undefined = previous?.events[name]?.[property];
          return `      ${key(property)}: ${quote(before === `${type}?` ? before : type)},`;
        }),
        '    },',
      ];
    }),
    '  },',
    '  contactProperties: {',
    ...contactProperties.map((property) => `    ${key(property.key)}: ${quote(property.type)},`),
    '  },',
    '  mailingLists: MailingLists,',
    '});',
    '',
    "declare module 'nestjs-loops' {",
    '  interface LoopsRegister {',
    '    catalog: typeof catalog;',
    '  }',
    '}',
    '',
  ];
  return {
    source: lines.join('\n'),
    leftOut,
    events: events.length,
    contactProperties: contactProperties.length,
    mailingLists: lists.length,
  };
}

/**
 * Each list gets a camelCase constant from its name ("Product updates" -> productUpdates); lists whose names give the
 * same constant are numbered (betaTesters2). A list keeps the constant the replaced file gave it while that still
 * comes from its name, so code using a constant keeps its list when another list takes the same name; a renamed
 * list's old constant is given to no list in the same pull; new lists are numbered in the order of their ids.
 */
function nameMailingLists(
  lists: NonNullable<LoopsAccountSnapshot['mailingLists']>,
  before: Readonly<Record<string, string>>,
): { constant: string; list: (typeof lists)[number] }[] {
  const byId = [...lists].sort((a, b) => byName(a.id, b.id));
  const constantBefore = new Map(Object.entries(before).map(([constant, id]) => [id, constant]));
  const constants = new Map<string, string>();
  const taken = new Set<string>();
  for (const list of byId) {
    const kept = constantBefore.get(list.id);
    if (kept === undefined || taken.has(kept)) continue;
    if (isNumberedFrom(kept, camelCase(list.name))) constants.set(list.id, kept);
    // Renamed, its list gets a constant from its new name; the old one names no list in this pull, so that code
    // still using it fails to compile instead of reaching another list that now takes the old name.
    taken.add(kept);
  }
  for (const list of byId) {
    if (constants.has(list.id)) continue;
    const base = camelCase(list.name);
    let constant = base;
    for (let suffix = 2; taken.has(constant); suffix++) constant = `${base}${suffix}`;
    constants.set(list.id, constant);
    taken.add(constant);
  }
  return byId
    .map((list) => ({ constant: constants.get(list.id) as string, list }))
    .sort((a, b) => byName(a.constant, b.constant));
}

/** `constant` is `base` itself or `base` with a number from 2 on, as a collision would have named it. */
function isNumberedFrom(constant: string, base: string): boolean {
  if (constant === base) return true;
  const suffix = constant.startsWith(base) ? constant.slice(base.length) : '';
  return /^[1-9]\d*$/.test(suffix) && Number(suffix) >= 2;
}

function camelCase(name: string): string {
  const words =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .match(/[A-Za-z0-9]+/g) ?? [];
  const joined = words
    .map((word, index) => {
      if (index > 0) return word.charAt(0).toUpperCase() + word.slice(1);
      return word === word.toUpperCase() ? word.toLowerCase() : word.charAt(0).toLowerCase() + word.slice(1);
    })
    .join('');
  return joined === '' || /^\d/.test(joined) ? `list${joined.charAt(0).toUpperCase()}${joined.slice(1)}` : joined;
}
