import { applyDecorators, UseInterceptors } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { EmitLoopsEventArgument, LoopsMapperDefault } from './catalog/catalog-emit-options';
import { type EmitLoopsEventOptions, LOOPS_EVENTS_METADATA } from './emit-loops-event.options';
import { LoopsEventInterceptor } from './loops-event.interceptor';

/** What a handler may return for the result its mappers see to be `TResult`. */
type HandlerReturning<TResult> = (...args: never[]) => TResult | Promise<TResult> | Observable<TResult>;

/**
 * A method decorator that only fits a handler whose result (returned, resolved, or an Observable's values) is a
 * `TResult`: `@EmitLoopsEvent<Account>(...)` on a handler returning something else is a compile error.
 */
export type EmitLoopsEventDecorator<TResult> = <THandler extends HandlerReturning<TResult>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<THandler>,
) => void;

/**
 * Sends a Loops event after the route handler succeeds. Stackable: each decorator sends one event.
 * With a registered catalog (`LoopsRegister`), the event name and its properties are checked against it.
 *
 * Mappers see `result` as `TResult` (`unknown` unless given): TypeScript can't infer it from the decorated method,
 * so give it, and the method's return type is checked against it.
 */
export function EmitLoopsEvent<TResult = LoopsMapperDefault, TRequest = LoopsMapperDefault>(
  eventNameOrOptions: EmitLoopsEventArgument<TResult, TRequest>,
): EmitLoopsEventDecorator<TResult> {
  const definition: EmitLoopsEventOptions =
    typeof eventNameOrOptions === 'string' ? { eventName: eventNameOrOptions } : eventNameOrOptions;
  const storeDefinition: MethodDecorator = (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const existing: EmitLoopsEventOptions[] = Reflect.getMetadata(LOOPS_EVENTS_METADATA, handler) ?? [];
    // Decorators run bottom-up; prepending keeps the events in the order they are written.
    Reflect.defineMetadata(LOOPS_EVENTS_METADATA, [definition, ...existing], handler);
  };
  return applyDecorators(storeDefinition, UseInterceptors(LoopsEventInterceptor));
}
