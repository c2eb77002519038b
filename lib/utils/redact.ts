/** What stands for the API key wherever an answer or an error would have shown it. */
const REDACTED = '[redacted]';

/** `text` with every occurrence of `secret` replaced; an empty secret (a dry run's) replaces nothing. */
export function redactText(text: string, secret: string): string {
  return secret ? text.split(secret).join(REDACTED) : text;
}

/**
 * A parsed JSON body with `secret` replaced in every string, object keys included: a gateway that echoes the request
 * may put the `Authorization` header in either. Changed in place (a string at the top is returned anew), walked
 * without recursion, since a hostile server's body may be nested deeper than the stack.
 */
export function redactJson(value: unknown, secret: string): unknown {
  if (!secret) return value;
  if (typeof value === 'string') return redactText(value, secret);
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      const redacted = typeof child === 'string' ? redactText(child, secret) : child;
      if (typeof child !== 'string') pending.push(child);
      if (key.includes(secret)) {
        delete record[key];
        record[redactText(key, secret)] = redacted;
      } else if (redacted !== child) {
        record[key] = redacted;
      }
    }
  }
  return value;
}
