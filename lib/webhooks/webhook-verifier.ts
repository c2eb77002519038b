import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { computeWebhookSignature, decodeWebhookSecret } from './webhook-signature';

export type WebhookVerification =
  | { ok: true; webhookId: string; timestamp: number }
  /** `reason` is safe to log: it never quotes a header or the body. */
  | { ok: false; reason: string };

/** Printable ASCII: ids end up in logs and Redis keys, where control characters and spaces have no business. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP = /^\d{1,15}$/;
const SIGNATURE_BYTES = 32;
/** More entries than any rotation needs; each costs a comparison, so an attacker can't make a request costly. */
const MAX_SIGNATURES = 10;

/**
 * Checks the Standard Webhooks headers of a request against its raw body: the id, the timestamp within the
 * tolerance either way (replays and clock skew), and at least one `v1` signature made with one of the secrets,
 * compared in constant time.
 */
export class WebhookVerifier {
  private readonly keys: Buffer[];

  constructor(
    secrets: readonly string[],
    private readonly toleranceSeconds: number,
  ) {
    this.keys = secrets.map((secret) => {
      const key = decodeWebhookSecret(secret);
      if (!key) throw new Error('A webhook secret reached the verifier unchecked');
      return key;
    });
  }

  verify(headers: IncomingHttpHeaders, rawBody: Buffer, now = Date.now()): WebhookVerification {
    const webhookId = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signatures = headers['webhook-signature'];
    if (webhookId === undefined) return fail('the webhook-id header is missing');
    if (typeof webhookId !== 'string' || !WEBHOOK_ID.test(webhookId)) {
      return fail('the webhook-id header is not 1 to 256 printable ASCII characters without spaces');
    }
    if (timestamp === undefined) return fail('the webhook-timestamp header is missing');
    if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) {
      return fail('the webhook-timestamp header is not a Unix time in seconds');
    }
    const skew = Math.floor(now / 1000) - Number(timestamp);
    if (Math.abs(skew) > this.toleranceSeconds) {
      return fail(
        `the webhook-timestamp is ${Math.abs(skew)} s in the ${skew > 0 ? 'past' : 'future'}, more than ` +
          `toleranceSeconds (${this.toleranceSeconds}) from this server's clock: a replay, or a clock that is off`,
      );
    }
    if (signatures === undefined || signatures === '') return fail('the webhook-signature header is missing');
    if (typeof signatures !== 'string') return fail('the webhook-signature header was sent more than once');
    const candidates = signatures
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .slice(0, MAX_SIGNATURES)
      .map((entry) => Buffer.from(entry.slice(3), 'base64'))
      .filter((candidate) => candidate.length === SIGNATURE_BYTES);
    if (candidates.length === 0) return fail('the webhook-signature header has no v1 signature');
    const matches = this.keys.some((key) => {
      const expected = computeWebhookSignature(key, webhookId, timestamp, rawBody);
      return candidates.some((candidate) => timingSafeEqual(candidate, expected));
    });
    if (!matches) {
      return fail(
        'no signature matches the secret: a forged request, a body changed on the way, or webhooks.secret is not ' +
          "the one shown in Loops' webhook settings",
      );
    }
    return { ok: true, webhookId, timestamp: Number(timestamp) };
  }
}

function fail(reason: string): WebhookVerification {
  return { ok: false, reason };
}
