/** The types Loops gives event and contact properties. */
export type LoopsPropertyType = 'string' | 'number' | 'boolean' | 'date';

/** An event property's Loops type; a trailing `?` lets a send leave the property out. */
export type LoopsEventPropertyType = LoopsPropertyType | `${LoopsPropertyType}?`;

/**
 * What an app sends to Loops, declared once: its events with their properties, and optionally the custom
 * contact properties and the mailing lists it uses. Write it with `defineLoopsEvents()` (or `npx nestjs-loops
 * pull`), give it to `LoopsModule.forRoot({ events })`, and register it in `LoopsRegister` for compile-time checks.
 */
export interface LoopsCatalog {
  /** Event name to its properties: property name to Loops type. An event without properties is `{}`. */
  readonly events: { readonly [eventName: string]: { readonly [property: string]: LoopsEventPropertyType } };
  /**
   * Custom contact properties the app sets, by name. When present, any other (beyond Loops' built-in
   * `firstName`, `lastName`, `source`, `subscribed` and `userGroup`) is refused; when absent, none is checked.
   */
  readonly contactProperties?: { readonly [property: string]: LoopsPropertyType };
  /** Mailing lists the app subscribes contacts to: a name of your choice to the list's id in Loops. */
  readonly mailingLists?: { readonly [name: string]: string };
}

export const LOOPS_PROPERTY_TYPES: readonly LoopsPropertyType[] = ['string', 'number', 'boolean', 'date'];

/** Contact properties every Loops account has, with their types; they are never custom and need no declaring. */
export const BUILT_IN_CONTACT_PROPERTIES = {
  firstName: 'string',
  lastName: 'string',
  source: 'string',
  subscribed: 'boolean',
  userGroup: 'string',
} as const satisfies Record<string, LoopsPropertyType>;
