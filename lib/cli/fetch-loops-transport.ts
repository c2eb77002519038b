import { LoopsNetworkError } from '../errors/loops-network.error';
import { LoopsTransport, type LoopsTransportRequest, type LoopsTransportResponse } from '../transport/loops-transport';

/** A command reads lists, not single events: more room than the module's transport allows, but a limit still. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** `LoopsTransport` over Node's global `fetch`, for the CLI, which has no Nest app and no axios. */
export class FetchLoopsTransport extends LoopsTransport {
  async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
        // A redirect would carry the API key to wherever it points: it is answered as it is instead.
        redirect: 'manual',
      });
    } catch (error) {
      throw toNetworkError(error, request.url);
    }
    const text = await readText(response, request.url);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { status: response.status, headers, ...parseBody(text) };
  }
}

async function readText(response: Response, url: string): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      size += chunk.value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        throw new LoopsNetworkError(
          `The answer from ${new URL(url).origin} is larger than ${MAX_RESPONSE_BYTES} bytes`,
          'ERR_RESPONSE_TOO_LARGE',
        );
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    throw error instanceof LoopsNetworkError ? error : toNetworkError(error, url);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): Pick<LoopsTransportResponse, 'body' | 'rawBody'> {
  if (text === '') return {};
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { rawBody: text };
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is in its cause. */
function toNetworkError(error: unknown, url: string): LoopsNetworkError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code =
    cause?.code ??
    (error as { code?: string }).code ??
    (error instanceof Error && error.name === 'AbortError' ? 'ABORT_ERR' : undefined);
  const reason = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new LoopsNetworkError(
    `No answer from ${new URL(url).origin}: ${reason}`,
    code,
    Object.assign(new Error(reason), { code }),
  );
}
