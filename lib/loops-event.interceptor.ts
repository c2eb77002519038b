import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { concatWith, defer, ignoreElements, Observable, tap } from 'rxjs';
import {
  EmitLoopsEventOptions,
  LOOPS_EVENTS_METADATA,
  LoopsEventContact,
  LoopsEventContext,
  LoopsEventValue,
} from './emit-loops-event.options';
import type { SendEventInput } from './dto/send-event.dto';
import { LoopsValidationError } from './errors/loops-validation.error';
import { LoopsEventsService } from './loops-events.service';

/**
 * Each `@EmitLoopsEvent()` adds this interceptor, and an app may also register it globally; the
 * first to see a call handles it, so no event goes out twice.
 */
const handledCalls = new WeakSet<ExecutionContext>();

/**
 * Sends the events declared with `@EmitLoopsEvent()` once the handler has succeeded. Subclass it and
 * override the protected hooks to change how the request or the contact is found.
 */
@Injectable()
export class LoopsEventInterceptor implements NestInterceptor {
  constructor(
    protected readonly reflector: Reflector,
    protected readonly loops: LoopsEventsService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const definitions = this.reflector.get<EmitLoopsEventOptions[] | undefined>(
      LOOPS_EVENTS_METADATA,
      context.getHandler(),
    );
    if (!definitions?.length || handledCalls.has(context)) return next.handle();
    handledCalls.add(context);

    const background = definitions.filter((definition) => definition.mode !== 'await');
    const awaited = definitions.filter((definition) => definition.mode === 'await');
    let result: unknown;
    const capture = (value: unknown) => (result = value);
    // `complete` runs only when the handler succeeded: after an error, no event goes out.
    if (awaited.length === 0 && this.loops.takesEventsAtOnce) {
      // Nothing to wait for: the background engine takes the events synchronously.
      return next.handle().pipe(tap({ next: capture, complete: () => this.enqueueAll(background, context, result) }));
    }
    return next
      .handle()
      .pipe(
        tap({ next: capture }),
        concatWith(
          defer(() =>
            Promise.all([this.enqueueAll(background, context, result), this.sendAll(awaited, context, result)]),
          ).pipe(ignoreElements()),
        ),
      );
  }

  /** The request of an HTTP or GraphQL call; `undefined` for RPC and WebSocket handlers. */
  protected getRequest(context: ExecutionContext): unknown {
    switch (context.getType<string>()) {
      case 'http':
        return context.switchToHttp().getRequest();
      case 'graphql':
        return (context.getArgByIndex(2) as { req?: unknown } | undefined)?.req;
      default:
        return undefined;
    }
  }

  /** The payload of the call: HTTP body, RPC data, WebSocket data or GraphQL arguments. */
  protected getData(context: ExecutionContext, request: unknown): unknown {
    switch (context.getType<string>()) {
      case 'http':
        return (request as { body?: unknown } | undefined)?.body;
      case 'rpc':
        return context.switchToRpc().getData();
      case 'ws':
        return context.switchToWs().getData();
      default:
        return context.getArgByIndex(1);
    }
  }

  /** The contact when the decorator gives no `contact` mapper: from the result, else `request.user`. */
  protected resolveContact(ctx: LoopsEventContext): LoopsEventContact | undefined {
    const user = (ctx.request as { user?: unknown } | undefined)?.user;
    return pickContact(ctx.result, ['userId']) ?? pickContact(user, ['userId', 'id']);
  }

  /** The event a definition stands for, or an error saying why none can be built. */
  protected buildEvent(definition: EmitLoopsEventOptions, ctx: LoopsEventContext): SendEventInput {
    const contact: unknown = definition.contact ? definition.contact(ctx) : this.resolveContact(ctx);
    if (contact !== undefined && contact !== null && !isContactShaped(contact)) {
      throw new LoopsValidationError([
        {
          path: 'contact',
          rule: 'isObject',
          message: `the contact must be an object with email and/or userId (the contact mapper gave ${describeKind(contact)})`,
        },
      ]);
    }
    const { email, userId } = (contact ?? {}) as LoopsEventContact;
    if (email === undefined && userId === undefined) {
      throw new LoopsValidationError([
        {
          path: 'email',
          rule: 'required',
          message:
            'email or userId is required: no contact found (no email or userId in the result or request.user; give a contact mapper)',
        },
      ]);
    }
    return {
      eventName: definition.eventName,
      ...(email !== undefined && { email }),
      ...(userId !== undefined && { userId }),
      ...optional('eventProperties', resolveValue(definition.eventProperties, ctx)),
      ...optional('contactProperties', resolveValue(definition.contactProperties, ctx)),
      ...optional('mailingLists', resolveValue(definition.mailingLists, ctx)),
    };
  }

  private createContext(context: ExecutionContext, result: unknown): LoopsEventContext {
    const request = this.getRequest(context);
    return { result, request, data: this.getData(context, request), context };
  }

  /**
   * Background events: the response waits only until the queue holds them (at once in memory, an
   * acknowledgement from Redis with BullMQ); whatever goes wrong is reported, never thrown into it.
   */
  private enqueueAll(
    definitions: EmitLoopsEventOptions[],
    context: ExecutionContext,
    result: unknown,
  ): Promise<unknown> | undefined {
    if (definitions.length === 0) return undefined;
    let ctx: LoopsEventContext;
    try {
      ctx = this.createContext(context, result);
    } catch (error) {
      for (const definition of definitions) this.reportDropped(definition, error, context);
      return undefined;
    }
    const queued: Promise<void>[] = [];
    for (const definition of definitions) {
      try {
        if (definition.when && !definition.when(ctx)) continue;
        const event = this.buildEvent(definition, ctx);
        const taken = this.loops.queueEvent(event, { idempotencyKey: definition.idempotencyKey?.(ctx) });
        if (typeof taken === 'string') continue;
        const reportFailure = (error: unknown) => this.reportDropped(definition, error, context);
        queued.push(taken.then(() => undefined, reportFailure));
      } catch (error) {
        this.reportDropped(definition, error, context);
      }
    }
    return queued.length > 0 ? Promise.all(queued) : undefined;
  }

  /** Awaited events: the response waits for them and fails with their error. */
  private async sendAll(
    definitions: EmitLoopsEventOptions[],
    context: ExecutionContext,
    result: unknown,
  ): Promise<void> {
    if (definitions.length === 0) return;
    const ctx = this.createContext(context, result);
    await Promise.all(definitions.map((definition) => this.send(definition, ctx)));
  }

  private reportDropped(definition: EmitLoopsEventOptions, error: unknown, context: ExecutionContext): void {
    this.loops.reportDropped(definition.eventName, toError(error), describeHandler(context));
  }

  private async send(definition: EmitLoopsEventOptions, ctx: LoopsEventContext): Promise<void> {
    let event: SendEventInput;
    let idempotencyKey: string | undefined;
    try {
      if (definition.when && !definition.when(ctx)) return;
      event = this.buildEvent(definition, ctx);
      idempotencyKey = definition.idempotencyKey?.(ctx);
    } catch (error) {
      this.reportDropped(definition, error, ctx.context);
      throw error;
    }
    try {
      // A key from the mapper that Loops already has (a client retrying the request) resolves as deduplicated.
      await this.loops.sendEvent(event, { idempotencyKey });
    } catch (error) {
      // The built event broke a rule: dropped, as in background mode, and the request fails with it.
      if (error instanceof LoopsValidationError) this.reportDropped(definition, error, ctx.context);
      throw error;
    }
  }
}

/** An object a contact can be read from: not a primitive, an array or a Map (whose entries are no fields). */
function isContactShaped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

function describeKind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a Map';
  return `a ${typeof value}`;
}

/** `email` and the first of `userIdKeys` present, from an object; ids may be numbers. */
function pickContact(source: unknown, userIdKeys: string[]): LoopsEventContact | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const record = source as Record<string, unknown>;
  const email = typeof record.email === 'string' ? record.email : undefined;
  const rawId = userIdKeys.map((key) => record[key]).find((value) => value !== undefined && value !== null);
  const userId = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : undefined;
  if (email === undefined && userId === undefined) return undefined;
  return { ...(email !== undefined && { email }), ...(userId !== undefined && { userId }) };
}

function resolveValue<T>(value: LoopsEventValue<T> | undefined, ctx: LoopsEventContext): T | undefined {
  return typeof value === 'function' ? (value as (ctx: LoopsEventContext) => T)(ctx) : value;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function describeHandler(context: ExecutionContext): string {
  return `${context.getClass().name}.${context.getHandler().name}`;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
