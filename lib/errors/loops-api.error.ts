import { LoopsError } from './loops.error';

export interface LoopsApiErrorDetails {
  status: number;
  /** The parsed JSON body, or `undefined` when the body was not JSON. */
  body?: unknown;
  /** The raw text of a body that was not JSON (load balancers answer 5xx with HTML). */
  rawBody?: string;
}

/** Loops answered with a status other than 2xx. */
export class LoopsApiError extends LoopsError {
  readonly status: number;
  /** Loops' own explanation, when its body carried one. */
  readonly loopsMessage?: string;
  readonly body?: unknown;
  readonly rawBody?: string;

  constructor(details: LoopsApiErrorDetails, summary?: string) {
    const loopsMessage = readLoopsMessage(details.body);
    super(summary ?? `Loops answered ${details.status}${loopsMessage ? `: ${loopsMessage}` : ''}`);
    this.status = details.status;
    this.loopsMessage = loopsMessage;
    this.body = details.body;
    this.rawBody = details.rawBody;
  }
}

export function readLoopsMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  // Older answers use `error` instead of `message`.
  const { message, error } = body as { message?: unknown; error?: unknown };
  if (typeof message === 'string') return message;
  return typeof error === 'string' ? error : undefined;
}
