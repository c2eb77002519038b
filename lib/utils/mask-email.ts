/**
 * An address in running text. Its local part is either quoted (`"jane doe"@…`, or `\"jane doe\"@…` inside JSON), or
 * the whole run of characters before the `@` back to a space or a delimiter no unquoted local part holds: an address
 * may use `!#$%&'*+/=?^{|}~` and letters of any script (`jöhn@exämple.com` passes class-validator's isEmail). So a
 * prefix glued to an address goes too (`key=jane@…` -> `k***@…`). Not masked whole: a quoted local part holding an
 * escaped quote. The domain is any dotted run up to a delimiter whose last label holds a letter or any character
 * beyond ASCII: isEmail takes domains in any script, with marks (`example.भारत`) and even digits of other scripts
 * (`example.٣٣`), so masking must not be narrower than validation, nor take `bullmq@5.34.10` or `root@10.0.0.12`,
 * which it refuses. A match starts only where a run starts, which keeps a long line without spaces linear.
 */
/** What ends a run of an address, local part or domain alike: a space, or a character no unquoted address holds. */
const DELIMITER = String.raw` \t\n\r\f\v"(),:;<>[\]\\@`;

const EMAIL_IN_TEXT = new RegExp(
  String.raw`(?:(\\?)"([^"\r\n]*)\1"|(?<![^${DELIMITER}])([^${DELIMITER}]+))` +
    String.raw`@([^${DELIMITER}]+\.(?=[^${DELIMITER}.]*[\p{L}\p{M}\P{ASCII}])[^${DELIMITER}.]{2,})`,
  'gu',
);

/** `jane.doe@example.com` -> `j***@example.com`: enough to tell contacts apart in a log, not to read them. */
export function maskEmails(text: string): string {
  return text.replace(
    EMAIL_IN_TEXT,
    (_address, escape: string | undefined, quoted: string | undefined, plain: string | undefined, domain: string) =>
      quoted === undefined
        ? `${firstOf(plain ?? '')}***@${domain}`
        : `${escape}"${firstOf(quoted)}***${escape}"@${domain}`,
  );
}

function firstOf(text: string): string {
  return text === '' ? '' : String.fromCodePoint(text.codePointAt(0) as number);
}
