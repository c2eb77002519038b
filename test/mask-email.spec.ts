import { maskEmails } from '../lib/utils/mask-email';

/** What every log line and span status goes through before it is written (lib/utils/mask-email.ts). */
describe('maskEmails', () => {
  it.each([
    ['for jane.doe@example.com', 'for j***@example.com'],
    ['for "jane doe"@example.com', 'for "j***"@example.com'],
    [JSON.stringify({ email: '"jane doe"@example.com' }), '{"email":"\\"j***\\"@example.com"}'],
    ["mary.o'neil@example.com", 'm***@example.com'],
    ['(welcome-grace.hopper@example.com)', '(w***@example.com)'],
    ['<jane@example.com>, bob@example.org', '<j***@example.com>, b***@example.org'],
    ['mailto:jane@example.com', 'mailto:j***@example.com'],
    ['jane\u3000doe@example.com', 'j***@example.com'],
    ['jöhn@exämple.com', 'j***@exämple.com'],
    ['for rahul@example.भारत', 'for r***@example.भारत'],
    ['priya@हिंदी.com.', 'p***@हिंदी.com.'],
    // isEmail takes a top-level domain of other scripts' digits or symbols.
    ['for ada.lovelace@example.٣٣', 'for a***@example.٣٣'],
    ['for ada@example.²²', 'for a***@example.²²'],
    ['for ada@example.¶¶', 'for a***@example.¶¶'],
    // isEmail refuses a top-level domain without a letter: versions and IP addresses stay readable.
    ['npm i bullmq@5.34.10', 'npm i bullmq@5.34.10'],
    ['ssh root@10.0.0.12', 'ssh root@10.0.0.12'],
    ['j***@example.com', 'j***@example.com'],
    ['no address @ all', 'no address @ all'],
  ])('%s -> %s', (text, masked) => {
    expect(maskEmails(text)).toBe(masked);
  });

  // A hostile server's message reaches the log through an error: a match must not rescan a run for every position in
  // it. Before matches were anchored to the start of a run, a line of 64 KiB took seconds; these take milliseconds.
  it.each([
    ['letters', 'a'.repeat(2 ** 20)],
    ['a@a@…', 'a@'.repeat(2 ** 19)],
    ['base64', 'ab+/='.repeat(2 ** 18)],
    ['quotes', '"a'.repeat(2 ** 19)],
    ['a@ and one-letter labels', `a@${'b.'.repeat(2 ** 19)}`],
    ['a@ and numeric labels', `a@${'12345.'.repeat(2 ** 17)}`],
  ])('gets through a 1 MiB line without spaces or an address (%s)', (_name, line) => {
    expect(maskEmails(line)).toBe(line);
  });
});
