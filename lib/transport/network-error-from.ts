import { LoopsNetworkError } from '../errors/loops-network.error';
import { redactText } from '../utils/redact';

/**
 * What a transport rejected with, as a `LoopsNetworkError` keeping only messages (the key cut out) and codes: an HTTP
 * client's error carries the request, its `Authorization` header included, to any logger that prints `cause`, and
 * Nest's prints it. A `LoopsNetworkError` (as the transport contract asks) keeps its message and code, its cause cut
 * down the same way; anything else becomes one, `summary` first.
 */
export function networkErrorFrom(error: unknown, apiKey: string, summary: string): LoopsNetworkError {
  if (error instanceof LoopsNetworkError) {
    const cause = error.cause === undefined ? undefined : plainError(error.cause, apiKey);
    return new LoopsNetworkError(redactText(error.message, apiKey), error.code, cause);
  }
  const cause = plainError(error, apiKey);
  return new LoopsNetworkError(`${summary}: ${cause.message}`, cause.code, cause);
}

function plainError(error: unknown, apiKey: string): Error & { code?: string } {
  const message = redactText(error instanceof Error ? error.message : String(error), apiKey);
  const rawCode = (error as { code?: unknown } | null | undefined)?.code;
  return Object.assign(new Error(message), { code: typeof rawCode === 'string' ? rawCode : undefined });
}
