import { plainToInstance } from 'class-transformer';
import { isEmail } from 'class-validator';
import { SendEventDto, type SendEventInput } from '../lib';
import { isValidEmail } from '../lib/dto/loops-event-rules';
import { validateSendEvent } from '../lib/dto/validate-send-event';
import { mulberry32 } from './support/seeded-random';

/**
 * The request path takes shortcuts past class-validator and class-transformer. Each one must decide exactly as the
 * library it stands in for, on inputs chosen to find where they part.
 */
describe('the email rule is class-validator isEmail, shortcut or not, without control characters', () => {
  const everyday = [
    'ada@example.com',
    'Ada.Lovelace+loops@mail.example.co.uk',
    "o'brien_1@sub-domain.example.io",
    'x@ab.cd',
    `${'a'.repeat(64)}@example.com`,
    `a@${'b'.repeat(63)}.com`,
  ];
  const unusual = [
    'ab@gmail.com',
    'user@localhost',
    'user@example.c',
    'user@example.123',
    'user@-example.com',
    'user@example-.com',
    'user@exa_mple.com',
    '.user@example.com',
    'user.@example.com',
    'us..er@example.com',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(64)}.com`,
    `${'a'.repeat(60)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.com`,
    'user@[127.0.0.1]',
    'user@127.0.0.1',
    '"quoted user"@example.com',
    'üser@exämple.com',
    'user@example.xn--p1ai',
    'user@ｅxample.com',
    'user name@example.com',
    'user@example.com\n',
    'a@b@example.com',
    'Ada <ada@example.com>',
  ];

  it.each([...everyday, ...unusual])('%j', (email) => {
    expect(isValidEmail(email)).toBe(isEmail(email));
  });

  it.each(['"ada\nlovelace"@example.com', '"ada\rlovelace"@example.com', '"ada\u007flovelace"@example.com'])(
    'except %j: isEmail takes a control character in a quoted local part, which would split a log line',
    (email) => {
      expect(isEmail(email)).toBe(true);
      expect(isValidEmail(email)).toBe(false);
    },
  );

  it('agrees on 60,000 seeded strings built from the characters where email rules differ', () => {
    const random = mulberry32(20261123);
    const pick = <T>(from: ArrayLike<T>): T => from[Math.floor(random() * from.length)];
    const pieces = ['a', 'Z', '0', '9', '.', '-', '_', '+', "'", '@', '"', ' ', 'é', 'ｅ', '[', '1', 'xn--', 'com'];
    const part = (max: number): string =>
      Array.from({ length: 1 + Math.floor(random() * max) }, () =>
        random() < 0.9 ? pick('abcxyz09') : pick(pieces),
      ).join('');
    const disagreements: string[] = [];
    let acceptedByBoth = 0;
    for (let i = 0; i < 60_000; i++) {
      const labels = Array.from({ length: Math.floor(random() * 3) }, () => part(random() < 0.05 ? 70 : 8));
      const tld = random() < 0.6 ? pick(['com', 'io', 'uk']) : part(4);
      const candidate = `${part(random() < 0.05 ? 70 : 10)}@${[...labels, tld].join('.')}`;
      const expected = isEmail(candidate);
      if (isValidEmail(candidate) !== expected) disagreements.push(candidate);
      if (expected) acceptedByBoth++;
    }
    expect(disagreements).toEqual([]);
    // The strings reach both sides of the rule: most are addresses, many are not.
    expect(acceptedByBoth).toBeGreaterThan(10_000);
    expect(acceptedByBoth).toBeLessThan(50_000);
  });
});

describe('the DTO instance is the one class-transformer would make', () => {
  const cyclic: Record<string, unknown> = { plan: 'pro' };
  cyclic.self = cyclic;
  it.each<[string, SendEventInput]>([
    ['every primitive field', { eventName: 'signup', email: 'ada@example.com', userId: 'u1' }],
    ['maps', { eventName: 'signup', userId: 'u1', eventProperties: { plan: 'pro' }, mailingLists: { news: true } }],
    ['contact properties with null', { eventName: 'signup', email: 'ada@example.com', contactProperties: { a: null } }],
  ])('%s', (_name, input) => {
    const dto = validateSendEvent(input);
    expect(dto).toBeInstanceOf(SendEventDto);
    expect({ ...dto }).toEqual({ ...plainToInstance(SendEventDto, input) });
  });

  it('keeps a map exactly as given, where class-transformer would copy it', () => {
    const eventProperties = { plan: 'pro' };
    const dto = validateSendEvent({ eventName: 'signup', userId: 'u1', eventProperties });
    expect(dto.eventProperties).toBe(eventProperties);
    expect(() => validateSendEvent({ eventName: 'signup', userId: 'u1', eventProperties: cyclic as never })).toThrow(
      /eventProperties\.self must be a string/,
    );
  });
});

describe('the 500-character limit counts JSON text, escapes included', () => {
  const event = (plan: string): SendEventInput => ({ eventName: 'signup', userId: 'u1', eventProperties: { plan } });
  it('accepts 83 characters that JSON escapes to 6 each (500 with the quotes)', () => {
    expect(() => validateSendEvent(event('\u0001'.repeat(83)))).not.toThrow();
  });
  it('refuses 84 of them (506), though the string itself is short', () => {
    expect(() => validateSendEvent(event('\u0001'.repeat(84)))).toThrow(/eventProperties\.plan must be at most 500/);
  });
  it('refuses 499 plain characters (501 with the quotes)', () => {
    expect(() => validateSendEvent(event('a'.repeat(499)))).toThrow(/eventProperties\.plan must be at most 500/);
  });
});
