import type { LoopsUnknownWebhookPayload } from './loops-webhook-events';

export type ParsedWebhookPayload = { ok: true; payload: LoopsUnknownWebhookPayload } | { ok: false; reason: string };

/** Keys through which a deep merge of the payload could reach `Object.prototype`. */
const PROTOTYPE_KEYS = new Set(['constructor', 'prototype']);

/**
 * Parses a verified body. Loops never sends `__proto__`, nor an object under `constructor` or `prototype`
 * (a property holding a plain value is allowed), so such a body is refused before an app's code could merge
 * it into an object of its own.
 */
export function parseWebhookPayload(rawBody: Buffer): ParsedWebhookPayload {
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || (PROTOTYPE_KEYS.has(key) && typeof value === 'object' && value !== null)) {
        throw new ForbiddenKeyError(key);
      }
      return value;
    });
  } catch (error) {
    if (error instanceof ForbiddenKeyError) return { ok: false, reason: error.message };
    return { ok: false, reason: 'the body is not JSON in UTF-8' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'the body is not a JSON object' };
  }
  const { eventName } = parsed as { eventName?: unknown };
  if (typeof eventName !== 'string' || eventName === '') {
    return { ok: false, reason: 'the body has no eventName' };
  }
  return { ok: true, payload: parsed as LoopsUnknownWebhookPayload };
}

class ForbiddenKeyError extends Error {
  constructor(key: string) {
    super(`the body has a "${key}" key that could reach Object.prototype`);
  }
}
