import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { type AxiosRequestConfig, isAxiosError } from 'axios';
import { LoopsNetworkError } from '../errors/loops-network.error';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LoopsTransport, LoopsTransportRequest, LoopsTransportResponse } from './loops-transport';

/** Loops answers with a few bytes; a hostile or broken server must not make us buffer megabytes. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** Sends requests through `@nestjs/axios`'s `HttpService`. */
@Injectable()
export class HttpLoopsTransport extends LoopsTransport {
  /** The app's `http` option, less whatever could replace the credentials or rewrite the body. */
  private readonly extraConfig: AxiosRequestConfig & { headers: Record<string, string> };

  constructor(
    private readonly http: HttpService,
    @Inject(LOOPS_RESOLVED_OPTIONS) options: ResolvedLoopsOptions,
  ) {
    super();
    const { auth: _auth, transformRequest: _transformRequest, headers, ...rest } = options.http;
    const appHeaders = Object.entries((headers ?? {}) as Record<string, string>).filter(
      ([name]) => name.toLowerCase() !== 'authorization',
    );
    this.extraConfig = { ...rest, headers: Object.fromEntries(appHeaders) };
  }

  async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
    const extra = this.extraConfig;
    try {
      // axiosRef rather than request(): the Observable wrapper cancels every finished request, which
      // builds an error with a stack trace each time (some 50 µs a request in the benchmark).
      const response = await this.http.axiosRef.request<string>({
        ...extra,
        method: request.method,
        url: request.url,
        headers: { ...extra.headers, ...request.headers },
        data: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: request.signal,
        responseType: 'text',
        // Keep the raw text: errors report it when the body is not JSON.
        transformResponse: (data: unknown) => data,
        validateStatus: () => true,
        // A redirect would carry the API key to wherever it points.
        maxRedirects: 0,
        maxContentLength: MAX_RESPONSE_BYTES,
        // Timeouts come from `signal`, which the delivery layer owns.
        timeout: 0,
      });
      return { status: response.status, headers: readHeaders(response.headers), ...parseBody(response.data) };
    } catch (error) {
      throw toNetworkError(error);
    }
  }
}

function readHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) result[name.toLowerCase()] = String(value);
  }
  return result;
}

function parseBody(text: unknown): Pick<LoopsTransportResponse, 'body' | 'rawBody'> {
  if (typeof text !== 'string' || text === '') return {};
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { rawBody: text };
  }
}

/**
 * Axios errors carry the request config, headers and all; wrapping one would put the API key within
 * reach of any logger that prints `cause`. Only the message and code are kept.
 */
function toNetworkError(error: unknown): LoopsNetworkError {
  const code = isAxiosError(error) ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const cause = Object.assign(new Error(message), { code });
  return new LoopsNetworkError(`No answer from Loops: ${message}`, code, cause);
}
