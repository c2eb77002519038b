import { LoopsNetworkError } from '../errors/loops-network.error';
import { redactText } from '../utils/redact';

/**
 * What a transport rejected with, as a `LoopsNetworkError` keeping only its message (the key cut out) and its code:
 * an HTTP client's error carries the request, its `Authorization` header included, to any logger that prints
 * `cause`, and Nest's prints it.
 */
export function networkErrorFrom(error: unknown, apiKey: string, summary: string): LoopsNetworkError {
  const message = redactText(error instanceof Error ? error.message : String(error), apiKey);
  const rawCode = (error as { code?: unknown } | null | undefined)?.code;
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  return new LoopsNetworkError(`${summary}: ${message}`, code, Object.assign(new Error(message), { code }));
}
