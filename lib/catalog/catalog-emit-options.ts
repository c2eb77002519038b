import type { EmitLoopsEventOptions, LoopsEventValue } from '../emit-loops-event.decorator';
import type {
  LoopsContactPropertiesOf,
  LoopsEventNameOf,
  LoopsEventNameWithoutRequiredPropertiesOf,
  LoopsEventPropertiesField,
  LoopsEventPropertiesOf,
  LoopsMailingListsOf,
} from './catalog-event-types';
import type { Flatten } from './flatten';
import type { LoopsCatalog } from './loops-catalog';
import type { IfLoopsCatalog, InvalidLoopsRegistration, RegisteredLoopsCatalog } from './loops-register';

type SharedEmitOptions<TResult, TRequest> = Omit<
  EmitLoopsEventOptions<TResult, TRequest>,
  'eventName' | 'eventProperties' | 'contactProperties' | 'mailingLists'
>;

/** `@EmitLoopsEvent()` options checked against a catalog: a union discriminated by `eventName`. */
export type LoopsCatalogEmitOptions<TCatalog extends LoopsCatalog, TResult, TRequest> = {
  [N in LoopsEventNameOf<TCatalog>]: Flatten<
    SharedEmitOptions<TResult, TRequest> & {
      eventName: N;
      contactProperties?: LoopsEventValue<LoopsContactPropertiesOf<TCatalog>, TResult, TRequest>;
      mailingLists?: LoopsEventValue<LoopsMailingListsOf<TCatalog>, TResult, TRequest>;
    } & LoopsEventPropertiesField<
        TCatalog['events'][N],
        LoopsEventValue<LoopsEventPropertiesOf<TCatalog['events'][N]>, TResult, TRequest>
      >
  >;
}[LoopsEventNameOf<TCatalog>];

type CatalogEmitArgument<TCatalog, TResult, TRequest> = TCatalog extends LoopsCatalog
  ? LoopsEventNameWithoutRequiredPropertiesOf<TCatalog> | LoopsCatalogEmitOptions<TCatalog, TResult, TRequest>
  : InvalidLoopsRegistration;

/**
 * What `@EmitLoopsEvent()` takes. With a registered catalog: an event that needs no properties by name, or
 * options checked against the catalog. Without one: any name, or any options.
 */
export type EmitLoopsEventArgument<TResult, TRequest> = IfLoopsCatalog<
  CatalogEmitArgument<RegisteredLoopsCatalog, TResult, TRequest>,
  string | EmitLoopsEventOptions<TResult, TRequest>
>;

/**
 * The type of `result` and `request` in mappers when not given: `any` without a catalog, as before, and
 * `unknown` with one, so that no `any` can carry a value of the wrong type into a checked event.
 */
export type LoopsMapperDefault = IfLoopsCatalog<unknown, any>;
