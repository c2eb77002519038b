import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import { LoopsLog } from '../logging/loops-log';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LOOPS_REDIS_CONNECTION, type RedisConnection } from '../delivery/redis-connection';
import { createWebhookDeliveryStore } from './create-webhook-delivery-store';
import { LoopsWebhookExplorer } from './loops-webhook-explorer';
import { LoopsWebhookReceiver, type WebhookRequest, type WebhookResponse } from './loops-webhook-receiver';
import type { WebhookDeliveryStore } from './webhook-delivery-store';

/** The request as both Express and Fastify give it, with `rawBody` when the app was created with `rawBody: true`. */
interface PlatformRequest {
  headers: IncomingHttpHeaders;
  rawBody?: Buffer;
}

interface FastifyInstanceLike {
  route(options: {
    method: 'POST';
    url: string;
    bodyLimit: number;
    handler: (request: PlatformRequest, reply: unknown) => Promise<unknown>;
  }): unknown;
}

/**
 * Mounts the webhook route on the app's HTTP server when `webhooks` is configured. It is added to the platform
 * directly, after the options (from `forRoot` or `forRootAsync`) are known: it is no controller, so guards,
 * interceptors and a global prefix of the app don't apply to it. The signature is its authentication.
 */
@Injectable()
export class LoopsWebhookRoute implements OnModuleInit, OnApplicationShutdown {
  /** Start-up lines (the route mounted, or not): at fixed levels, unlike the lines of each request. */
  private readonly logger = new Logger('LoopsWebhooks');
  private store: WebhookDeliveryStore | undefined;

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly explorer: LoopsWebhookExplorer,
    @Inject(LOOPS_REDIS_CONNECTION) private readonly redis: RedisConnection | null,
    private readonly log: LoopsLog,
  ) {}

  onModuleInit(): void {
    const { webhooks } = this.options;
    if (!webhooks) return;
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) {
      this.logger.warn(`webhooks is configured, but the app has no HTTP server: ${webhooks.path} is not mounted`);
      return;
    }
    const handlers = this.explorer.explore();
    this.store = createWebhookDeliveryStore(this.options, webhooks, this.log, this.redis);
    const receiver = new LoopsWebhookReceiver(webhooks, handlers, this.store, this.log);
    const receive = (request: PlatformRequest): Promise<WebhookResponse> =>
      receiver.receive(toWebhookRequest(request)).catch((error: unknown) => {
        this.log.write(
          'webhookFailed',
          `Loops webhook receiver failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return { status: 500, body: { message: 'Webhook receiver failed' } };
      });

    if (adapter.getType() === 'fastify') {
      // On the Fastify instance itself, for a route body limit: Fastify stops reading past it and answers 413.
      (adapter.getInstance() as FastifyInstanceLike).route({
        method: 'POST',
        url: webhooks.path,
        bodyLimit: webhooks.maxBodyBytes,
        handler: async (request, reply) => {
          const { status, body } = await receive(request);
          return adapter.reply(reply, body, status);
        },
      });
    } else {
      adapter.post(webhooks.path, (request: PlatformRequest, response: unknown) => {
        void receive(request).then(({ status, body }) => adapter.reply(response, body, status));
      });
    }
    const names = handlers.map((handler) => `${handler.key} (${[...handler.topics].join(', ')})`);
    this.logger.log(
      `Receiving Loops webhooks at POST ${webhooks.path}; handlers: ${names.length ? names.join(', ') : 'none'}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store?.close();
  }
}

function toWebhookRequest(request: PlatformRequest): WebhookRequest {
  return { headers: request.headers, rawBody: Buffer.isBuffer(request.rawBody) ? request.rawBody : undefined };
}
