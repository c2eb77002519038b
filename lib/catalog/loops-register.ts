import type { SendEventDto, SendEventInput } from '../dto/send-event.dto';
import type { LoopsCatalogEvent, LoopsEventNameOf } from './catalog-event-types';
import type { LoopsCatalog } from './loops-catalog';

/**
 * Registers the app's catalog, so that `sendEvent`, `enqueueEvent`, `enqueueEventAsync` and `@EmitLoopsEvent()`
 * are checked against it everywhere without a type argument at any call:
 *
 * ```ts
 * declare module 'nestjs-loops' {
 *   interface LoopsRegister {
 *     catalog: typeof catalog;
 *   }
 * }
 * ```
 *
 * Without a registration, events are typed loosely (any name, any properties).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the app through declaration merging
export interface LoopsRegister {}

/** What a registration that is not a catalog turns every send into, so the mistake can't go unnoticed. */
export interface InvalidLoopsRegistration {
  'LoopsRegister["catalog"] must be a LoopsCatalog: declare it with defineLoopsEvents() or `as const`': never;
}

/** The registered catalog; `never` when the app registered none. */
export type RegisteredLoopsCatalog = LoopsRegister extends { catalog: infer TCatalog } ? TCatalog : never;

/** `TTyped` when the app registered a catalog, `TLoose` when it did not. */
export type IfLoopsCatalog<TTyped, TLoose> = [RegisteredLoopsCatalog] extends [never] ? TLoose : TTyped;

/**
 * `TCatalog` as a `LoopsCatalog`. Generic on purpose: a conditional on the registered catalog itself would see it
 * as `RegisteredLoopsCatalog & LoopsCatalog` in its true branch, whose index signatures widen every name to string.
 */
export type ValidLoopsCatalog<TCatalog> = TCatalog extends LoopsCatalog ? TCatalog : never;

type CatalogEventOrInvalid<TCatalog> = TCatalog extends LoopsCatalog
  ? LoopsCatalogEvent<TCatalog>
  : InvalidLoopsRegistration;

/**
 * An event as `sendEvent`, `enqueueEvent` and `enqueueEventAsync` take it. With a registered catalog: one of its
 * events, checked at compile time; a `SendEventDto` (a request body, say) then needs `as LoopsEventInput`, and is
 * checked at run time only. Without one: any event, as a plain object or a `SendEventDto`.
 */
export type LoopsEventInput = IfLoopsCatalog<
  CatalogEventOrInvalid<RegisteredLoopsCatalog>,
  SendEventInput | SendEventDto
>;

/** The event names of the registered catalog; any string without one. */
export type LoopsEventName = IfLoopsCatalog<LoopsEventNameOf<ValidLoopsCatalog<RegisteredLoopsCatalog>>, string>;
