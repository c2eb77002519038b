import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { readNumber, readObject } from '../utils/read-option';
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
const DAY_SECONDS = 24 * 3600;
/**
 * Bounds past any use: a longer tolerance is a wider window for replays, a longer claim outlives any handler, and a
 * record kept longer than a year outlives any redelivery. Seconds become Redis expiries in milliseconds.
 */
const MAX_TOLERANCE_SECONDS = DAY_SECONDS;
const MAX_CLAIM_SECONDS = DAY_SECONDS;
const MAX_TTL_SECONDS = 365 * DAY_SECONDS;

/** Literal segments only: a `:param` or `*` would make the route match more than the one path. */
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Checks `webhooks` at boot; `undefined` (no receiver) when it is absent. Errors name the option and the
 * rule, and never show a secret.
 */
export function resolveWebhooksOptions(value: unknown): ResolvedLoopsWebhooksOptions | undefined {
  if (value === undefined) return undefined;
  const options = readObject(value, 'webhooks', OPTIONS);
  const deduplication = readObject(options.deduplication, 'webhooks.deduplication', DEDUPLICATION_OPTIONS);
  return {
    secrets: readSecrets(options.secret),
    path: readPath(options.path),
    toleranceSeconds: readNumber(options.toleranceSeconds, 'webhooks.toleranceSeconds', 300, {
      min: 1,
      max: MAX_TOLERANCE_SECONDS,
      integer: true,
    }),
    maxBodyBytes: readNumber(options.maxBodyBytes, 'webhooks.maxBodyBytes', 256 * 1024, { min: 1, integer: true }),
    deduplication: {
      ttlSeconds: readNumber(deduplication.ttlSeconds, 'webhooks.deduplication.ttlSeconds', 3 * DAY_SECONDS, {
        min: 1,
        max: MAX_TTL_SECONDS,
        integer: true,
      }),
      maxEntries: readNumber(deduplication.maxEntries, 'webhooks.deduplication.maxEntries', 50_000, {
        min: 1,
        integer: true,
      }),
      claimSeconds: readNumber(deduplication.claimSeconds, 'webhooks.deduplication.claimSeconds', 120, {
        min: 1,
        max: MAX_CLAIM_SECONDS,
        integer: true,
      }),
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
