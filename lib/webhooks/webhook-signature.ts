import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
/** Standard Webhooks asks for 24 to 64 bytes; anything under 16 is a mistake, not a secret. */
const MIN_SECRET_BYTES = 16;

/** The HMAC key of a signing secret (`whsec_<base64>`, prefix optional), or undefined when it isn't one. */
export function decodeWebhookSecret(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= MIN_SECRET_BYTES ? key : undefined;
}

/** The Standard Webhooks signature, as bytes: HMAC-SHA256 over the exact bytes `${id}.${timestamp}.${body}`. */
export function computeWebhookSignature(key: Buffer, id: string, timestamp: string, body: Buffer | string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}
