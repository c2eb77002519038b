import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { LoopsLog } from '../logging/loops-log';
import type { LoopsWebhookContext } from './loops-webhook-context.interface';
import type { LoopsUnknownWebhookPayload } from './loops-webhook-events';
import type { LoopsWebhookHandler } from './loops-webhook-explorer';
import { parseWebhookPayload } from './parse-webhook-payload';
import type { ResolvedLoopsWebhooksOptions } from './resolve-webhooks-options';
import type { WebhookDeliveryStore } from './webhook-delivery-store';
import { WebhookVerifier } from './webhook-verifier';

export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  /** The body exactly as received; undefined when the platform did not keep it (no `rawBody: true`). */
  rawBody: Buffer | undefined;
}

export interface WebhookResponse {
  status: number;
  body?: { message: string };
}

type HandlerOutcome = 'succeeded' | 'skipped' | 'busy' | 'failed' | 'unavailable';

export const MISSING_RAW_BODY_MESSAGE =
  'Loops webhook refused (500): the request has no raw body, so its signature cannot be checked. Create the app ' +
  'with NestFactory.create(AppModule, { rawBody: true }) (in tests: moduleRef.createNestApplication({ rawBody: true })), ' +
  'and keep Nest’s body parser on.';

/**
 * Turns one HTTP request into a status, whatever the platform: size, media type, signature and payload are
 * checked first, then each matching handler runs at most once per message (`webhook-id`), and 2xx means all
 * of them have succeeded. Anything else makes Loops deliver the message again later.
 */
export class LoopsWebhookReceiver {
  private readonly verifier: WebhookVerifier;

  constructor(
    private readonly options: ResolvedLoopsWebhooksOptions,
    private readonly handlers: readonly LoopsWebhookHandler[],
    private readonly store: WebhookDeliveryStore,
    private readonly log: LoopsLog,
  ) {
    this.verifier = new WebhookVerifier(options.secrets, options.toleranceSeconds);
  }

  async receive({ headers, rawBody }: WebhookRequest): Promise<WebhookResponse> {
    const declaredLength = Number(headers['content-length']);
    if (declaredLength > this.options.maxBodyBytes || (rawBody?.length ?? 0) > this.options.maxBodyBytes) {
      return this.refuse(413, `the body is larger than webhooks.maxBodyBytes (${this.options.maxBodyBytes})`);
    }
    if (!isJson(headers['content-type'])) return this.refuse(415, 'the body is not application/json');
    if (rawBody === undefined) {
      this.log.write('webhookFailed', MISSING_RAW_BODY_MESSAGE);
      return { status: 500, body: { message: 'Webhook receiver misconfigured' } };
    }
    const verified = this.verifier.verify(headers, rawBody);
    if (!verified.ok) return this.refuse(401, verified.reason);
    const parsed = parseWebhookPayload(rawBody);
    if (!parsed.ok) return this.refuse(400, `${parsed.reason} (webhook-id ${verified.webhookId})`);

    const event = parsed.payload;
    const context: LoopsWebhookContext = {
      webhookId: verified.webhookId,
      sentAt: new Date(verified.timestamp * 1000),
    };
    const handlers = this.handlers.filter((handler) => handler.topics.has(event.eventName) || handler.topics.has('*'));
    if (handlers.length === 0) {
      this.log.write(
        'webhookUnhandled',
        `Loops webhook "${event.eventName}" (${context.webhookId}) has no handler; acknowledged`,
      );
      return { status: 204 };
    }
    const outcomes = await Promise.all(handlers.map((handler) => this.run(handler, event, context)));
    if (outcomes.includes('failed')) return { status: 500, body: { message: 'A webhook handler failed' } };
    if (outcomes.includes('unavailable')) {
      return { status: 503, body: { message: 'Webhook deduplication store unavailable' } };
    }
    if (outcomes.includes('busy')) {
      this.log.write(
        'webhookRefused',
        `Loops webhook "${event.eventName}" (${context.webhookId}) is being handled by another delivery; answered 409 so Loops tries again later`,
      );
      return { status: 409, body: { message: 'This message is being handled' } };
    }
    return { status: 204 };
  }

  private async run(
    handler: LoopsWebhookHandler,
    event: LoopsUnknownWebhookPayload,
    context: LoopsWebhookContext,
  ): Promise<HandlerOutcome> {
    const token = randomUUID();
    const where = `Loops webhook "${event.eventName}" (${context.webhookId}), handler ${handler.key}`;
    let claim;
    try {
      claim = await this.store.claim(context.webhookId, handler.key, token);
    } catch (error) {
      this.log.write(
        'webhookFailed',
        `${where}: the deduplication store failed (${describe(error)}); not run, answered 503`,
      );
      return 'unavailable';
    }
    if (claim === 'done') return 'skipped';
    if (claim === 'busy') return 'busy';
    try {
      await handler.invoke(event, context);
    } catch (error) {
      this.log.write(
        'webhookFailed',
        `${where} failed: ${describe(error)}; answered 500 so Loops delivers it again`,
        error instanceof Error ? error.stack : undefined,
      );
      await this.store.release(context.webhookId, handler.key, token).catch(() => undefined);
      return 'failed';
    }
    try {
      await this.store.complete(context.webhookId, handler.key);
    } catch (error) {
      // The handler did its work; a redelivery after its claim lapses will run it again.
      this.log.write(
        'webhookFailed',
        `${where} succeeded, but the deduplication store failed to record it (${describe(error)})`,
      );
      return 'unavailable';
    }
    return 'succeeded';
  }

  private refuse(status: number, reason: string): WebhookResponse {
    this.log.write('webhookRefused', `Loops webhook refused (${status}): ${reason}`);
    return { status, body: { message: STATUS_MESSAGES[status] } };
  }
}

/** What the sender is told; the reason stays in this server's log. */
const STATUS_MESSAGES: Record<number, string> = {
  400: 'Invalid webhook payload',
  401: 'Invalid webhook signature',
  413: 'Webhook body too large',
  415: 'Webhook body must be application/json',
};

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
