import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { isKnownLoopsWebhookEventName, type LoopsUnknownWebhookPayload } from './loops-webhook-events';
import type { LoopsWebhookContext } from './loops-webhook-context.interface';
import { LOOPS_WEBHOOK_HANDLER_METADATA } from './on-loops-webhook.decorator';

/** A method decorated with `@OnLoopsWebhook()`, bound to its provider. */
export interface LoopsWebhookHandler {
  /** `Class.method`: names the handler in logs and in the deduplication store, the same in every instance. */
  key: string;
  topics: ReadonlySet<string>;
  invoke(event: LoopsUnknownWebhookPayload, context: LoopsWebhookContext): Promise<unknown>;
}

/** Finds the `@OnLoopsWebhook()` methods of every provider. */
@Injectable()
export class LoopsWebhookExplorer {
  private readonly logger = new Logger('LoopsWebhooks');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** @throws LoopsConfigurationError when two handler classes share a name: their keys would be one. */
  explore(): LoopsWebhookHandler[] {
    const handlers = new Map<string, LoopsWebhookHandler>();
    const classes = new Map<string, unknown>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const topics = this.topicsOf(prototype, method);
        if (!topics) continue;
        const key = `${encodeURIComponent(instance.constructor.name)}.${encodeURIComponent(method)}`;
        // A transient provider counts as static, but its instance here is a bare prototype its constructor never ran on.
        if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
          this.logger.warn(`${key} is not a singleton provider (request or transient scope): it never runs`);
          continue;
        }
        // A class provided in two modules has two instances; one run per message is what its author expects.
        if (classes.get(key) === instance.constructor) continue;
        if (classes.has(key)) {
          throw new LoopsConfigurationError(
            'webhooks',
            `two classes named ${instance.constructor.name} have @OnLoopsWebhook() handlers; a handler is known by ` +
              'its class and method names (in logs and in the deduplication store), so rename one of the classes',
          );
        }
        classes.set(key, instance.constructor);
        for (const topic of topics) {
          if (topic !== '*' && !isKnownLoopsWebhookEventName(topic)) {
            this.logger.warn(
              `${key} handles "${topic}", which is not a Loops event type this version knows: check the spelling`,
            );
          }
        }
        const fn = (instance as Record<string, (...args: unknown[]) => unknown>)[method];
        handlers.set(key, {
          key,
          topics: new Set(topics),
          invoke: async (event, context) => fn.call(instance, event, context),
        });
      }
    }
    return [...handlers.values()];
  }

  private topicsOf(prototype: object, method: string): string[] | undefined {
    const fn = (prototype as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return undefined;
    return Reflect.getMetadata(LOOPS_WEBHOOK_HANDLER_METADATA, fn) as string[] | undefined;
  }
}
