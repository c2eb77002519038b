import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { decodeWebhookSecret } from './webhook-signature';

/** `webhooks` with every default filled in. */
export interface ResolvedLoopsWebhooksOptions {
  /** As configured; `decodeWebhookSecret` turns each into a key. */
  secrets: readonly string[];
  path: string;
  toleranceSeconds: number;
  maxBodyBytes: number;
  deduplication: { ttlSeconds: number; maxEntries: number; claimSeconds: number };
}

export const DEFAULT_WEBHOOKS_PATH = '/loops/webhooks';

const OPTIONS = ['secret', 'path', 'toleranceSeconds', 'maxBodyBytes', 'deduplication'];
const DEDUPLICATION_OPTIONS = ['ttlSeconds', 'maxEntries', 'claimSeconds'];
/** Literal segments only: a `:param` or `*` would make the route match more than the one path. */
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Checks `webhooks` at boot; `undefined` (no receiver) when it is absent. Errors name the option and the
 * rule, and never show a secret.
 */
export function resolveWebhooksOptions(value: unknown): ResolvedLoopsWebhooksOptions | undefined {
  if (value === undefined) return undefined;
  const options = readObject(value, 'webhooks', OPTIONS);
  const deduplication = readObject(options.deduplication ?? {}, 'webhooks.deduplication', DEDUPLICATION_OPTIONS);
  return {
    secrets: readSecrets(options.secret),
    path: readPath(options.path),
    toleranceSeconds: readNumber(options.toleranceSeconds, 'webhooks.toleranceSeconds', 300, 1),
    maxBodyBytes: readNumber(options.maxBodyBytes, 'webhooks.maxBodyBytes', 256 * 1024, 1),
    deduplication: {
      ttlSeconds: readNumber(deduplication.ttlSeconds, 'webhooks.deduplication.ttlSeconds', 3 * 24 * 3600, 1),
      maxEntries: readNumber(deduplication.maxEntries, 'webhooks.deduplication.maxEntries', 50_000, 1),
      claimSeconds: readNumber(deduplication.claimSeconds, 'webhooks.deduplication.claimSeconds', 120, 1),
    },
  };
}

function readSecrets(value: unknown): string[] {
  const secrets = Array.isArray(value) ? (value as unknown[]) : [value];
  if (value === undefined || secrets.length === 0) {
    throw new LoopsConfigurationError(
      'webhooks.secret',
      "is required: the signing secret from Loops' Settings -> Webhooks (whsec_...)",
    );
  }
  return secrets.map((secret, index) => {
    const option = Array.isArray(value) ? `webhooks.secret[${index}]` : 'webhooks.secret';
    if (typeof secret !== 'string' || decodeWebhookSecret(secret) === undefined) {
      throw new LoopsConfigurationError(
        option,
        "must be the signing secret from Loops' Settings -> Webhooks: base64 of at least 16 bytes, " +
          'with or without its whsec_ prefix',
      );
    }
    return secret;
  });
}

function readPath(value: unknown): string {
  if (value === undefined) return DEFAULT_WEBHOOKS_PATH;
  if (typeof value !== 'string' || !PATH.test(value)) {
    throw new LoopsConfigurationError(
      'webhooks.path',
      'must be a path such as /loops/webhooks: segments of letters, digits, ".", "_", "~" or "-", ' +
        'without a trailing slash, parameters or wildcards',
    );
  }
  return value;
}

function readNumber(value: unknown, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const got = typeof value === 'number' ? String(value) : value === null ? 'null' : `a ${typeof value}`;
    throw new LoopsConfigurationError(option, `must be an integer >= ${min} (got ${got})`);
  }
  return value;
}

function readObject(value: unknown, option: string, known: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoopsConfigurationError(option, 'must be an object');
  }
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    // A misspelt option would otherwise be ignored, and its default used without a word.
    throw new LoopsConfigurationError(`${option}.${unknown}`, `is not an option; the options are ${known.join(', ')}`);
  }
  return value as Record<string, unknown>;
}
