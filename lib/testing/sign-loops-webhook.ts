import { randomUUID } from 'node:crypto';
import { computeWebhookSignature, decodeWebhookSecret } from '../webhooks/webhook-signature';

export interface SignLoopsWebhookOptions {
  /** The signing secret (`whsec_...`), as configured in `webhooks.secret`. */
  secret: string;
  /** Default: a fresh `msg_...` id. Reuse one to act out a redelivery. */
  webhookId?: string;
  /** When Loops sent it. Default: now. */
  timestamp?: Date;
}

/** A request as Loops sends it: the JSON text and the Standard Webhooks headers signing it. */
export interface SignedLoopsWebhook {
  webhookId: string;
  body: string;
  headers: {
    'content-type': 'application/json';
    'webhook-id': string;
    'webhook-timestamp': string;
    'webhook-signature': string;
  };
}

/**
 * Signs `payload` the way Loops does. Works with any HTTP client; with supertest:
 * `request(app.getHttpServer()).post('/loops/webhooks').set(signed.headers).send(signed.body)`.
 */
export function signLoopsWebhook(payload: object | string, options: SignLoopsWebhookOptions): SignedLoopsWebhook {
  const key = decodeWebhookSecret(options.secret);
  if (!key) throw new TypeError('signLoopsWebhook: secret must be base64 of at least 16 bytes, with or without whsec_');
  const webhookId = options.webhookId ?? `msg_${randomUUID().replace(/-/g, '')}`;
  const timestamp = String(Math.floor((options.timestamp ?? new Date()).getTime() / 1000));
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = computeWebhookSignature(key, webhookId, timestamp, body).toString('base64');
  return {
    webhookId,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    },
  };
}
