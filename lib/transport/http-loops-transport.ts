import { Inject, Injectable } from '@nestjs/common';
import axios, { type AxiosRequestConfig } from 'axios';
import { LoopsNetworkError } from '../errors/loops-network.error';
import type { LoopsAxiosInstance } from '../interfaces/loops-axios-instance.interface';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LoopsTransport, LoopsTransportRequest, LoopsTransportResponse } from './loops-transport';
import { networkErrorFrom } from './network-error-from';

/**
 * A send is answered with a few bytes, but a contact found carries every custom property: up to 1 000, key and value
 * each up to 500 characters as JSON, and up to 3 bytes a character in UTF-8, about 3 MB. A hostile or broken server
 * must not make us buffer more.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * Headers only the module sets: the key, and the idempotency key that only sends carry (an app's default would go
 * out on contact calls, where Loops documents none).
 */
const MODULE_HEADERS = new Set(['authorization', 'idempotency-key']);

/**
 * Sent with every request that carries no idempotency key: `false` is how axios drops a header its instance's defaults
 * would add (an app's `Idempotency-Key` on every call would reach contact calls).
 */
const NO_IDEMPOTENCY_KEY = { 'Idempotency-Key': false };

/**
 * Request settings that neither the `http` option nor the defaults of an app's axios instance may change: they
 * keep the URL, the body and `Authorization` ours, and the rules below in force.
 */
const FIXED_CONFIG: AxiosRequestConfig = {
  // Node's http adapter is the one these rules hold for (fetch follows redirects in older axios; a custom
  // adapter could do anything).
  adapter: 'http',
  // A `baseURL` with `allowAbsoluteUrls: false` would put its own host in front of ours.
  allowAbsoluteUrls: true,
  // Query parameters would be appended to our URL. Null rather than undefined, here and below: axios keeps a
  // default over an undefined value.
  params: null,
  // The body is JSON text already; an app's transforms must not rewrite it (nor parse it once more).
  transformRequest: [],
  // Basic credentials would replace `Authorization` with the app's own.
  auth: null as unknown as undefined,
  // A custom transport (follow-redirects, say) would ignore `maxRedirects`.
  transport: null,
  // Keep the raw text: errors report it when the body is not JSON.
  responseType: 'text',
  transformResponse: (data: unknown) => data,
  validateStatus: () => true,
  // A redirect would carry the API key to wherever it points.
  maxRedirects: 0,
  maxContentLength: MAX_RESPONSE_BYTES,
  // Timeouts come from `signal`, which the delivery layer owns.
  timeout: 0,
};

/**
 * Sends requests through an axios instance: the app's `axiosInstance` (typically `HttpService.axiosRef`), or
 * else one of its own, so that interceptors an app adds to the global axios never see the API key.
 */
@Injectable()
export class HttpLoopsTransport extends LoopsTransport {
  private readonly axios: LoopsAxiosInstance;
  /** The app's `http` option, less the headers only the module sets. */
  private readonly extraConfig: AxiosRequestConfig & { headers: Record<string, string> };
  private readonly apiKey: string;

  constructor(@Inject(LOOPS_RESOLVED_OPTIONS) options: ResolvedLoopsOptions) {
    super();
    this.axios = options.axiosInstance ?? axios.create();
    this.apiKey = options.apiKey;
    const { headers, ...rest } = options.http;
    const appHeaders = Object.entries((headers ?? {}) as Record<string, string>).filter(
      ([name]) => !MODULE_HEADERS.has(name.toLowerCase()),
    );
    this.extraConfig = { ...rest, headers: Object.fromEntries(appHeaders) };
  }

  async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
    const extra = this.extraConfig;
    let response: unknown;
    try {
      response = await this.axios.request({
        ...extra,
        ...FIXED_CONFIG,
        method: request.method,
        url: request.url,
        headers: { ...extra.headers, ...NO_IDEMPOTENCY_KEY, ...request.headers },
        data: request.body,
        signal: request.signal,
      });
    } catch (error) {
      throw networkErrorFrom(error, this.apiKey, 'No answer from Loops');
    }
    // Only an app's response interceptor (one that returns `response.data`, say) can make this happen.
    if (!isAxiosResponse(response)) {
      throw new LoopsNetworkError(
        'The axiosInstance did not resolve to an axios response: one of its response interceptors replaced it',
        'ERR_BAD_RESPONSE',
      );
    }
    return { status: response.status, headers: readHeaders(response.headers ?? {}), ...parseBody(response.data) };
  }
}

interface AxiosResponseLike {
  status: number;
  headers?: Record<string, unknown>;
  data?: unknown;
}

function isAxiosResponse(value: unknown): value is AxiosResponseLike {
  return typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'number';
}

function readHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) result[name.toLowerCase()] = String(value);
  }
  return result;
}

/**
 * Deeper than any answer of Loops. A body nested past it stays text: parsed, a hostile server's thousands of levels
 * would make `JSON.stringify` of the error that carries them overflow the stack, in any logger that writes JSON.
 */
const MAX_JSON_DEPTH = 64;

function parseBody(text: unknown): Pick<LoopsTransportResponse, 'body' | 'rawBody'> {
  if (typeof text !== 'string' || text === '') return {};
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return { rawBody: text };
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { rawBody: text };
  }
}

/** Whether JSON text opens more than `limit` arrays or objects one within another; brackets in strings don't count. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      if (++depth > limit) return true;
    } else if (char === ']' || char === '}') depth--;
  }
  return false;
}
