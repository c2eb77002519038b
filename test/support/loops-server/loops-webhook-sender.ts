import { createHmac, randomBytes, randomUUID } from 'node:crypto';

export interface WebhookAttempt {
  webhookId: string;
  /** `webhook-timestamp` of this attempt: every attempt is signed anew, as Loops does. */
  timestamp: number;
  /** The receiver's status; undefined when the request failed (`error`). */
  status?: number;
  error?: string;
}

export interface SentWebhook {
  webhookId: string;
  eventName: string;
  attempts: WebhookAttempt[];
  /** Whether an attempt was answered 2xx. */
  delivered: boolean;
}

export interface SendWebhookOptions {
  /** Default: a fresh `msg_...` id. */
  webhookId?: string;
  /** Attempts in all until one is answered 2xx. Default 1. */
  attempts?: number;
  /** Wait between attempts. Default 0. */
  retryDelayMs?: number;
  /** Sign with these secrets too, one signature each, as during a secret rotation. */
  extraSecrets?: string[];
}

/**
 * Loops' side of webhooks: signs each message with the account's secret (Standard Webhooks: HMAC-SHA256 of
 * `id.timestamp.body` keyed by the base64 part of `whsec_...`) and posts it, trying again on anything but 2xx.
 * Written from the scheme, independently of the library, so that it checks the library rather than mirrors it.
 */
export class LoopsWebhookSender {
  readonly secret: string;
  readonly sent: SentWebhook[] = [];

  constructor(secret?: string) {
    this.secret = secret ?? `whsec_${randomBytes(24).toString('base64')}`;
  }

  async send(url: string, payload: { eventName: string }, options: SendWebhookOptions = {}): Promise<SentWebhook> {
    const sent: SentWebhook = {
      webhookId: options.webhookId ?? `msg_${randomUUID().replace(/-/g, '')}`,
      eventName: payload.eventName,
      attempts: [],
      delivered: false,
    };
    this.sent.push(sent);
    const body = JSON.stringify(payload);
    const secrets = [this.secret, ...(options.extraSecrets ?? [])];
    for (let attempt = 1; attempt <= (options.attempts ?? 1) && !sent.delivered; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 0));
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = secrets.map((secret) => `v1,${sign(secret, sent.webhookId, timestamp, body)}`).join(' ');
      const record: WebhookAttempt = { webhookId: sent.webhookId, timestamp };
      sent.attempts.push(record);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': sent.webhookId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signature,
          },
          body,
        });
        await response.arrayBuffer();
        record.status = response.status;
        sent.delivered = response.status >= 200 && response.status < 300;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
    }
    return sent;
  }
}

function sign(secret: string, webhookId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
}
