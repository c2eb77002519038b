import { Test } from '@nestjs/testing';
import { LoopsConfigurationError, LoopsModule } from '../../lib';
import { resolveLoopsOptions } from '../../lib/loops-options';
import { newWebhookSecret } from './support/webhook-test-app';

const secret = newWebhookSecret();
const resolve = (webhooks: unknown) => resolveLoopsOptions({ dryRun: true, webhooks } as never).webhooks;

describe('webhooks options', () => {
  it('fills in the defaults', () => {
    expect(resolve({ secret })).toEqual({
      secrets: [secret],
      path: '/loops/webhooks',
      toleranceSeconds: 300,
      maxBodyBytes: 262_144,
      deduplication: { ttlSeconds: 259_200, maxEntries: 50_000, claimSeconds: 120 },
    });
    expect(resolve(undefined)).toBeUndefined();
  });

  it.each([
    ['no secret', {}, 'webhooks.secret', 'is required'],
    ['an empty list of secrets', { secret: [] }, 'webhooks.secret', 'is required'],
    ['a secret that is not base64', { secret: 'whsec_not base64!' }, 'webhooks.secret', 'base64'],
    ['a secret of 8 bytes', { secret: 'whsec_c2hvcnRrZXk=' }, 'webhooks.secret', 'at least 16 bytes'],
    ['a number as secret', { secret: 42 }, 'webhooks.secret', 'signing secret'],
    ['a bad second secret', { secret: [secret, 'oops'] }, 'webhooks.secret[1]', 'signing secret'],
    ['a relative path', { secret, path: 'loops/webhooks' }, 'webhooks.path', 'must be a path'],
    ['a path with a parameter', { secret, path: '/loops/:id' }, 'webhooks.path', 'parameters'],
    ['a path with a wildcard', { secret, path: '/loops/*' }, 'webhooks.path', 'wildcards'],
    ['a trailing slash', { secret, path: '/loops/' }, 'webhooks.path', 'trailing slash'],
    ['a tolerance of 0', { secret, toleranceSeconds: 0 }, 'webhooks.toleranceSeconds', 'integer >= 1 (got 0)'],
    ['a tolerance in text', { secret, toleranceSeconds: '300' }, 'webhooks.toleranceSeconds', '(got a string)'],
    ['a fractional body limit', { secret, maxBodyBytes: 1.5 }, 'webhooks.maxBodyBytes', 'must be an integer'],
    ['a negative TTL', { secret, deduplication: { ttlSeconds: -1 } }, 'webhooks.deduplication.ttlSeconds', '>= 1'],
    [
      'maxEntries NaN',
      { secret, deduplication: { maxEntries: NaN } },
      'webhooks.deduplication.maxEntries',
      '(got NaN)',
    ],
    // Past these, a Redis expiry in milliseconds is refused on every webhook, or replay protection is all but off.
    [
      'a TTL over a year',
      { secret, deduplication: { ttlSeconds: 1e300 } },
      'webhooks.deduplication.ttlSeconds',
      'at most 31536000',
    ],
    [
      'a claim over a day',
      { secret, deduplication: { claimSeconds: 86_401 } },
      'webhooks.deduplication.claimSeconds',
      'at most 86400',
    ],
    ['a tolerance over a day', { secret, toleranceSeconds: 86_401 }, 'webhooks.toleranceSeconds', 'at most 86400'],
    [
      'a misspelt option',
      { secret, tolerenceSeconds: 600 },
      'webhooks.tolerenceSeconds',
      'is not an option (did you mean "toleranceSeconds"?)',
    ],
    ['deduplication as a number', { secret, deduplication: 5 }, 'webhooks.deduplication', 'must be an object'],
    [
      'deduplication as null',
      { secret, deduplication: null },
      'webhooks.deduplication',
      'must be an object (got null)',
    ],
    ['webhooks as a string', 'whsec_abc', 'webhooks', 'must be an object'],
  ])('refuses %s, naming %s', (_name, webhooks, option, rule) => {
    let error: unknown;
    try {
      resolve(webhooks);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(LoopsConfigurationError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toContain(rule);
    expect((error as Error).message).not.toContain(secret.slice('whsec_'.length, 20));
  });

  it('never shows a rejected secret in the error', () => {
    const almost = `whsec_${Buffer.alloc(8, 'k').toString('base64')}`;
    expect(() => resolve({ secret: almost })).toThrow(LoopsConfigurationError);
    expect(() => resolve({ secret: almost })).not.toThrow(almost.slice('whsec_'.length));
  });

  it('stops the app at boot, forRootAsync included', async () => {
    const compile = Test.createTestingModule({
      imports: [LoopsModule.forRootAsync({ useFactory: async () => ({ dryRun: true, webhooks: { secret: 'x' } }) })],
    }).compile();
    await expect(compile).rejects.toThrow('Invalid LoopsModule option "webhooks.secret"');
  });
});
