import { applyDecorators, ExecutionContext, UseInterceptors } from '@nestjs/common';
import type { EmitLoopsEventArgument, LoopsMapperDefault } from './catalog/catalog-emit-options';
import type { LoopsPropertyValue } from './dto/send-event.dto';
import { LoopsEventInterceptor } from './loops-event.interceptor';

/** What a mapper of `@EmitLoopsEvent()` is given. */
export interface LoopsEventContext<TResult = any, TRequest = any> {
  /** The handler's result: its return value, resolved Promise, or an Observable's last value. */
  result: TResult;
  /** The HTTP request (Express or Fastify), GraphQL's `context.req`; `undefined` for RPC. */
  request: TRequest | undefined;
  /** The payload: the HTTP body, the RPC message data or the GraphQL arguments. */
  data: unknown;
  context: ExecutionContext;
}

export type LoopsEventValue<T, TResult = any, TRequest = any> = T | ((ctx: LoopsEventContext<TResult, TRequest>) => T);

export interface LoopsEventContact {
  email?: string;
  userId?: string;
}

export interface EmitLoopsEventOptions<TResult = any, TRequest = any> {
  eventName: string;
  /** Who the event is for. Default: `result.email`/`result.userId`, else `request.user`. */
  contact?: (ctx: LoopsEventContext<TResult, TRequest>) => LoopsEventContact | undefined;
  eventProperties?: LoopsEventValue<Record<string, LoopsPropertyValue>, TResult, TRequest>;
  contactProperties?: LoopsEventValue<Record<string, LoopsPropertyValue | null>, TResult, TRequest>;
  mailingLists?: LoopsEventValue<Record<string, boolean>, TResult, TRequest>;
  /** Return false to skip the event for this call. */
  when?: (ctx: LoopsEventContext<TResult, TRequest>) => boolean;
  /**
   * A key derived from the request (an order id, say), so that a client's retry sends the event once.
   * Returning `undefined` falls back to a generated key.
   */
  idempotencyKey?: (ctx: LoopsEventContext<TResult, TRequest>) => string | undefined;
  /**
   * `background` (default): the response does not wait; failures are logged and reported on `deliveries$`.
   * `await`: the response waits for Loops to accept the event and fails with the `LoopsError` if it can't.
   */
  mode?: 'background' | 'await';
}

export const LOOPS_EVENTS_METADATA = 'nestjs-loops:events';

/**
 * Sends a Loops event after the route handler succeeds. Stackable: each decorator sends one event.
 * With a registered catalog (`LoopsRegister`), the event name and its properties are checked against it.
 */
export function EmitLoopsEvent<TResult = LoopsMapperDefault, TRequest = LoopsMapperDefault>(
  eventNameOrOptions: EmitLoopsEventArgument<TResult, TRequest>,
): MethodDecorator {
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
