import type { ExecutionContext } from '@nestjs/common';
import type { LoopsPropertyValue } from './dto/send-event.dto';

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

/** The metadata key under which `@EmitLoopsEvent()` stores its definitions on the handler. */
export const LOOPS_EVENTS_METADATA = 'nestjs-loops:events';
