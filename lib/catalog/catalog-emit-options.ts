import type { EmitLoopsEventOptions, LoopsEventValue } from '../emit-loops-event.options';
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
 * The type of `result` and `request` in mappers when not given: `unknown`, so that no `any` carries a value of the
 * wrong type into an event; give `@EmitLoopsEvent<Result, Request>()` the types to read them.
 */
export type LoopsMapperDefault = unknown;
