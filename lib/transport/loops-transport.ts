/** One HTTP request to the Loops API, as the delivery layer hands it to a transport. */
export interface LoopsTransportRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  /** The JSON text of the body (Dates as ISO strings). */
  body?: string;
  /** Aborted on timeout, on the caller's signal and at shutdown. */
  signal: AbortSignal;
}

export interface LoopsTransportResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** The parsed JSON body, `undefined` when there was none or it was not JSON. */
  body?: unknown;
  /** The body as text when it was not JSON. */
  rawBody?: string;
}

/**
 * The seam between the delivery logic (validation, retries, rate limiting, queue) and the wire.
 * `send` resolves with any answer, whatever its status, and rejects with `LoopsNetworkError` when no
 * answer came. `LoopsModule` binds the HTTP implementation; `nestjs-loops/testing` an in-memory one.
 */
export abstract class LoopsTransport {
  abstract send(request: LoopsTransportRequest): Promise<LoopsTransportResponse>;
}
