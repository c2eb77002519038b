import type { LoopsWebhookContext } from './loops-webhook-context.interface';
import type { LoopsWebhookEvent, LoopsWebhookTopic } from './loops-webhook-events';

/** Where `@OnLoopsWebhook()` keeps the topics of a method. */
export const LOOPS_WEBHOOK_HANDLER_METADATA = 'nestjs-loops:webhook-handler';

/** A method that can handle the events of `T`: it takes their payload (and the context), or nothing. */
export type LoopsWebhookHandlerMethod<T extends LoopsWebhookTopic> = (
  event: LoopsWebhookEvent<T>,
  context: LoopsWebhookContext,
) => unknown;

/**
 * Runs the method for each verified Loops webhook of the given types (`'*'`: every type, including types
 * Loops adds later). Any provider can have such methods; several per type run concurrently, and the request
 * is answered 2xx only once all of them succeeded. The method's parameter type is checked against the topics.
 */
export function OnLoopsWebhook<const T extends [LoopsWebhookTopic, ...LoopsWebhookTopic[]]>(
  ...topics: T
): <M extends LoopsWebhookHandlerMethod<T[number]>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  if (topics.length === 0 || topics.some((topic) => typeof topic !== 'string' || topic === '')) {
    throw new TypeError('@OnLoopsWebhook() needs one or more event types (non-empty strings), or "*"');
  }
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    // Appended, so that several decorators on one method add up.
    const existing: string[] = Reflect.getMetadata(LOOPS_WEBHOOK_HANDLER_METADATA, method) ?? [];
    Reflect.defineMetadata(LOOPS_WEBHOOK_HANDLER_METADATA, [...existing, ...topics], method);
  };
}
