import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { concatWith, defer, EMPTY, ignoreElements, Observable, tap } from 'rxjs';
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
 * first to see a call marks its context and handles it, so no event goes out twice. A mark on the context rather
 * than a WeakSet of contexts: adding to a weak collection on every request cost a fifth of the interceptor's time.
 */
const HANDLED = Symbol('LoopsEventInterceptor handled');

interface DefinitionsByMode {
  background: EmitLoopsEventOptions[];
  awaited: EmitLoopsEventOptions[];
}

/** Split once per handler: the decorator stores a new array for each definition it adds, never changing one. */
const splitDefinitions = new WeakMap<EmitLoopsEventOptions[], DefinitionsByMode>();

function splitByMode(definitions: EmitLoopsEventOptions[]): DefinitionsByMode {
  let split = splitDefinitions.get(definitions);
  if (!split) {
    split = {
      background: definitions.filter((definition) => definition.mode !== 'await'),
      awaited: definitions.filter((definition) => definition.mode === 'await'),
    };
    splitDefinitions.set(definitions, split);
  }
  return split;
}

/** What `@Sse()` marks its handler with: Nest's `SSE_METADATA`, which `@nestjs/common` doesn't export at its root. */
const SSE_METADATA = '__sse__';

const RESULT_USER_ID_KEYS = ['userId'];
const REQUEST_USER_ID_KEYS = ['userId', 'id'];

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
    const marked = context as ExecutionContext & { [HANDLED]?: true };
    if (!definitions?.length || marked[HANDLED]) return next.handle();
    marked[HANDLED] = true;

    const { background, awaited } = splitByMode(definitions);
    // Events go out only once the handler has completed: after an error, none does.
    if (awaited.length === 0 && this.loops.takesEventsAtOnce) {
      // Nothing to wait for: the background engine takes the events without the response waiting. A plain
      // Observable rather than tap(), which allocates about a kilobyte more on every request.
      return new Observable((subscriber) => {
        let result: unknown;
        let emitted = false;
        return next.handle().subscribe({
          next: (value) => {
            result = value;
            emitted = true;
            subscriber.next(value);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            if (emitted || !this.failsWithoutValue(context)) this.enqueueAll(background, context, result);
            subscriber.complete();
          },
        });
      });
    }
    let result: unknown;
    let emitted = false;
    return next.handle().pipe(
      tap((value) => {
        result = value;
        emitted = true;
      }),
      concatWith(
        defer(() =>
          emitted || !this.failsWithoutValue(context)
            ? Promise.all([this.enqueueAll(background, context, result), this.sendAll(awaited, context, result)])
            : EMPTY,
        ).pipe(ignoreElements()),
      ),
    );
  }

  /** The request of an HTTP or GraphQL call; `undefined` for RPC and WebSocket handlers. */
  protected getRequest(context: ExecutionContext): unknown {
    switch (context.getType<string>()) {
      case 'http':
        // What switchToHttp().getRequest() returns, without the arguments host it builds on every call.
        return context.getArgByIndex(0);
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
    // The request is read only when the result names no one: a property missing on Express's request is looked up
    // along its whole prototype chain.
    return (
      pickContact(ctx.result, RESULT_USER_ID_KEYS) ??
      pickContact((ctx.request as { user?: unknown } | undefined)?.user, REQUEST_USER_ID_KEYS)
    );
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
    const event: SendEventInput = { eventName: definition.eventName };
    if (email !== undefined) event.email = email;
    if (userId !== undefined) event.userId = userId;
    const eventProperties = resolveValue(definition.eventProperties, ctx);
    if (eventProperties !== undefined) event.eventProperties = eventProperties;
    const contactProperties = resolveValue(definition.contactProperties, ctx);
    if (contactProperties !== undefined) event.contactProperties = contactProperties;
    const mailingLists = resolveValue(definition.mailingLists, ctx);
    if (mailingLists !== undefined) event.mailingLists = mailingLists;
    return event;
  }

  /**
   * Nest answers an HTTP or GraphQL call whose handler's Observable completed without a value with an error (500, "no
   * elements in sequence"): the call failed, so its events are not sent. A server-sent-events route, an RPC or a
   * WebSocket handler may reply nothing and still succeed.
   */
  private failsWithoutValue(context: ExecutionContext): boolean {
    switch (context.getType<string>()) {
      case 'http':
        return !this.reflector.get<boolean | undefined>(SSE_METADATA, context.getHandler());
      case 'graphql':
        return true;
      default:
        return false;
    }
  }

  private createContext(context: ExecutionContext, result: unknown): LoopsEventContext {
    const request = this.getRequest(context);
    return { result, request, data: this.getData(context, request), context };
  }

  /**
   * Background events: the response waits only until the queue holds them (not at all in memory, where they join
   * the queue at the end of the event loop's turn; an acknowledgement from Redis with BullMQ); whatever goes wrong is
   * reported, never thrown into it.
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
    let queued: Promise<void>[] | undefined;
    for (const definition of definitions) {
      try {
        if (definition.when && !definition.when(ctx)) continue;
        const event = this.buildEvent(definition, ctx);
        const taken = this.loops.queueEvent(event, {
          idempotencyKey: definition.idempotencyKey?.(ctx),
          onRefused: (error) => this.reportDropped(definition, error, context),
        });
        if (taken) (queued ??= []).push(taken);
      } catch (error) {
        this.reportDropped(definition, error, context);
      }
    }
    return queued && Promise.all(queued);
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
function pickContact(source: unknown, userIdKeys: readonly string[]): LoopsEventContact | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const record = source as Record<string, unknown>;
  const email = typeof record.email === 'string' ? record.email : undefined;
  let rawId: unknown;
  for (const key of userIdKeys) {
    rawId = record[key];
    if (rawId !== undefined && rawId !== null) break;
  }
  const userId = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : undefined;
  if (email === undefined && userId === undefined) return undefined;
  const contact: LoopsEventContact = {};
  if (email !== undefined) contact.email = email;
  if (userId !== undefined) contact.userId = userId;
  return contact;
}

function resolveValue<T>(value: LoopsEventValue<T> | undefined, ctx: LoopsEventContext): T | undefined {
  return typeof value === 'function' ? (value as (ctx: LoopsEventContext) => T)(ctx) : value;
}

function describeHandler(context: ExecutionContext): string {
  return `${context.getClass().name}.${context.getHandler().name}`;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
