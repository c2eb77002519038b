const EMAIL_IN_TEXT = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** `jane@example.com` -> `j***@example.com`: the demo's output is meant to be pasted into issues and chats. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL_IN_TEXT, '$1***@$2');
}
