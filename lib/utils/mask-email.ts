// Letters of any script: class-validator's isEmail accepts `jöhn@exämple.com` too.
const EMAIL_IN_TEXT = /([\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]*@([\p{L}\p{N}.-]+\.[\p{L}]{2,})/gu;

/** `jane.doe@example.com` -> `j***@example.com`: enough to tell contacts apart in a log, not to read them. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL_IN_TEXT, '$1***@$2');
}
