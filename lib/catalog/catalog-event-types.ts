import type { LoopsPropertyValue } from '../dto/send-event.dto';
import type { Flatten } from './flatten';
import type { BUILT_IN_CONTACT_PROPERTIES, LoopsCatalog, LoopsEventPropertyType } from './loops-catalog';

/** The TypeScript type of a value for a Loops property type: a `date` is a `Date` or an ISO 8601 string. */
export type LoopsPropertyValueOf<TType> = TType extends 'string' | 'string?'
  ? string
  : TType extends 'number' | 'number?'
    ? number
    : TType extends 'boolean' | 'boolean?'
      ? boolean
      : TType extends 'date' | 'date?'
        ? Date | string
        : never;

type RequiredKeys<TProperties> = {
  [K in keyof TProperties]: TProperties[K] extends `${string}?` ? never : K;
}[keyof TProperties];

/** The `eventProperties` object of an event declared with `TProperties`. */
export type LoopsEventPropertiesOf<TProperties extends { readonly [property: string]: LoopsEventPropertyType }> =
  Flatten<
    { -readonly [K in RequiredKeys<TProperties>]: LoopsPropertyValueOf<TProperties[K]> } & {
      -readonly [K in Exclude<keyof TProperties, RequiredKeys<TProperties>>]?: LoopsPropertyValueOf<TProperties[K]>;
    }
  >;

/**
 * The `eventProperties` field of an event: required when the event has a required property, optional when
 * all are optional, and absent when it has none. Absent rather than `{}`: TypeScript then reports a misspelt
 * property against the event it belongs to instead of against every event of the union.
 */
export type LoopsEventPropertiesField<
  TProperties extends { readonly [property: string]: LoopsEventPropertyType },
  TValue,
> = [keyof TProperties] extends [never]
  ? unknown
  : [RequiredKeys<TProperties>] extends [never]
    ? { eventProperties?: TValue }
    : { eventProperties: TValue };

type BuiltInContactProperties = {
  -readonly [K in keyof typeof BUILT_IN_CONTACT_PROPERTIES]?: LoopsPropertyValueOf<
    (typeof BUILT_IN_CONTACT_PROPERTIES)[K]
  > | null;
};

/** `contactProperties` of a send: the declared ones and Loops' built-in ones; loose when none are declared. */
export type LoopsContactPropertiesOf<TCatalog extends LoopsCatalog> =
  TCatalog['contactProperties'] extends infer TDeclared extends { readonly [property: string]: LoopsEventPropertyType }
    ? Flatten<
        { -readonly [K in keyof TDeclared]?: LoopsPropertyValueOf<TDeclared[K]> | null } & BuiltInContactProperties
      >
    : Record<string, LoopsPropertyValue | null>;

/** `mailingLists` of a send: the declared list ids to `true` or `false`; loose when none are declared. */
export type LoopsMailingListsOf<TCatalog extends LoopsCatalog> = TCatalog['mailingLists'] extends infer TLists extends {
  readonly [name: string]: string;
}
  ? { [Id in TLists[keyof TLists]]?: boolean }
  : Record<string, boolean>;

/** The names of the events in a catalog. */
export type LoopsEventNameOf<TCatalog extends LoopsCatalog> = keyof TCatalog['events'] & string;

/** An event of the catalog, as `sendEvent` and `enqueueEvent` take it: a union discriminated by `eventName`. */
export type LoopsCatalogEvent<
  TCatalog extends LoopsCatalog,
  TName extends LoopsEventNameOf<TCatalog> = LoopsEventNameOf<TCatalog>,
> = {
  [N in TName]: Flatten<
    {
      eventName: N;
      email?: string;
      userId?: string;
      contactProperties?: LoopsContactPropertiesOf<TCatalog>;
      mailingLists?: LoopsMailingListsOf<TCatalog>;
    } & LoopsEventPropertiesField<TCatalog['events'][N], LoopsEventPropertiesOf<TCatalog['events'][N]>>
  >;
}[TName];

/** The events that can be sent without properties, e.g. with the short form `@EmitLoopsEvent('accountDeleted')`. */
export type LoopsEventNameWithoutRequiredPropertiesOf<TCatalog extends LoopsCatalog> = {
  [N in LoopsEventNameOf<TCatalog>]: [RequiredKeys<TCatalog['events'][N]>] extends [never] ? N : never;
}[LoopsEventNameOf<TCatalog>];
