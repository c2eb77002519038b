const EMAIL_IN_TEXT = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** `jane.doe@example.com` -> `j***@example.com`: enough to tell contacts apart in a log, not to read them. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL_IN_TEXT, '$1***@$2');
}
