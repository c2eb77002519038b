import { RATE_LIMIT_WINDOW_MS, usedUpRateLimitWindow } from '../delivery/backoff';
import type { LoopsRateLimiter } from '../delivery/loops-rate-limiter';
import { acquireSlot } from '../delivery/acquire-slot';
import { tellLimiter } from '../delivery/tell-limiter';
import { LoopsApiError } from '../errors/loops-api.error';
import { LoopsAuthError } from '../errors/loops-auth.error';
import { LoopsNetworkError } from '../errors/loops-network.error';
import { LoopsRateLimitError } from '../errors/loops-rate-limit.error';
import type { LoopsLog } from '../logging/loops-log';
import type { LoopsTransport, LoopsTransportResponse } from '../transport/loops-transport';
import { networkErrorFrom } from '../transport/network-error-from';
import { abortableSleep } from '../utils/abortable-sleep';
import { redactText } from '../utils/redact';
import { attemptWithin } from '../delivery/attempt-within';
import { LOOPS_PROPERTY_TYPES, type LoopsPropertyType } from './loops-catalog';

/** `EventPatternSummary` of Loops' OpenAPI spec: one entry of `GET /v1/event-patterns`. */
export interface LoopsEventPatternSummary {
  id: string;
  eventName: string;
  /** The integration that sends this event (`stripe`, ...); `null` for the app's own events. */
  incomingWebhookPlatform: string | null;
}

/** `EventPattern`: `GET /v1/event-patterns/{id}`. */
export interface LoopsEventPattern extends LoopsEventPatternSummary {
  eventProperties: { name: string; type: LoopsPropertyType }[];
}

/** `ContactProperty`: an entry of `GET /v1/contacts/properties`. */
export interface LoopsContactProperty {
  key: string;
  label: string;
  type: LoopsPropertyType;
}

/** `MailingList`: an entry of `GET /v1/lists`. */
export interface LoopsMailingList {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
}

export interface LoopsAccountReaderOptions {
  /** E.g. `https://app.loops.so/api/v1`. */
  baseUrl: string;
  apiKey: string;
  transport: LoopsTransport;
  /**
   * Holds the reads to Loops' rate limit, none when absent; `log` is told when a limiter of the app's own fails once a
   * read is done (the answer stands).
   */
  limiter?: { limiter: LoopsRateLimiter; log: Pick<LoopsLog, 'write'> };
  /** Time limit of each request. */
  timeoutMs: number;
  /** Cancels every request, waits included. */
  signal?: AbortSignal;
}

/** The largest page Loops serves; the fewer pages, the fewer requests against the rate limit. */
const PAGE_SIZE = 50;
/** A server whose cursors never end must not keep a command paging forever. */
const MAX_PAGES = 1_000;
/** Attempts of a read that failed in a way that may pass: a 429, a 5xx, a lost connection. */
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 250;

/** Reads what a catalog is compared with from a Loops account: its key's team, events, contact properties, lists. */
export class LoopsAccountReader {
  constructor(private readonly options: LoopsAccountReaderOptions) {}

  /** `GET /v1/api-key`: the team the key belongs to; rejects with `LoopsAuthError` for a bad key. */
  async teamName(): Promise<string> {
    const body = await this.get('/api-key');
    if (!isRecord(body) || typeof body.teamName !== 'string') throw this.unexpected('/api-key');
    return body.teamName;
  }

  /** Every event pattern, page by page along `pagination.nextCursor`. */
  async eventPatterns(): Promise<LoopsEventPatternSummary[]> {
    const patterns: LoopsEventPatternSummary[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ perPage: String(PAGE_SIZE), ...(cursor !== undefined && { cursor }) });
      const body = await this.get(`/event-patterns?${query}`);
      if (!isRecord(body) || !Array.isArray(body.data) || !isRecord(body.pagination)) {
        throw this.unexpected('/event-patterns');
      }
      patterns.push(...body.data.map((entry) => this.readSummary('/event-patterns', entry)));
      const next = body.pagination.nextCursor;
      if (next === null || next === undefined || next === '') return patterns;
      if (typeof next !== 'string' || seenCursors.has(next)) throw this.unexpected('/event-patterns');
      seenCursors.add(next);
      cursor = next;
    }
    throw new LoopsApiError({ status: 200 }, `GET /event-patterns had more than ${MAX_PAGES} pages`);
  }

  /** `GET /v1/event-patterns/{id}`: the pattern with its properties. */
  async eventPattern(id: string): Promise<LoopsEventPattern> {
    const path = `/event-patterns/${encodeURIComponent(id)}`;
    const body = await this.get(path);
    const summary = this.readSummary(path, body);
    const properties = (body as Record<string, unknown>).eventProperties;
    if (
      !Array.isArray(properties) ||
      !properties.every((entry) => isRecord(entry) && typeof entry.name === 'string' && isPropertyType(entry.type))
    ) {
      throw this.unexpected(path);
    }
    return { ...summary, eventProperties: properties as LoopsEventPattern['eventProperties'] };
  }

  /** `GET /v1/contacts/properties?list=custom`: the account's own contact properties, without Loops' built-in ones. */
  async customContactProperties(): Promise<LoopsContactProperty[]> {
    const path = '/contacts/properties?list=custom';
    const body = await this.get(path);
    if (
      !Array.isArray(body) ||
      !body.every((entry) => isRecord(entry) && typeof entry.key === 'string' && isPropertyType(entry.type))
    ) {
      throw this.unexpected(path);
    }
    return body.map((entry) => ({
      key: entry.key,
      label: typeof entry.label === 'string' ? entry.label : entry.key,
      type: entry.type,
    }));
  }

  /** `GET /v1/lists`. */
  async mailingLists(): Promise<LoopsMailingList[]> {
    const body = await this.get('/lists');
    if (
      !Array.isArray(body) ||
      !body.every((entry) => isRecord(entry) && typeof entry.id === 'string' && typeof entry.name === 'string')
    ) {
      throw this.unexpected('/lists');
    }
    return body.map((entry) => ({
      id: entry.id,
      name: entry.name,
      description: typeof entry.description === 'string' ? entry.description : null,
      isPublic: entry.isPublic === true,
    }));
  }

  private readSummary(path: string, entry: unknown): LoopsEventPatternSummary {
    if (!isRecord(entry) || typeof entry.id !== 'string' || typeof entry.eventName !== 'string') {
      throw this.unexpected(path);
    }
    const platform = entry.incomingWebhookPlatform;
    return {
      id: entry.id,
      eventName: entry.eventName,
      incomingWebhookPlatform: typeof platform === 'string' ? platform : null,
    };
  }

  /**
   * The parsed body of a 2xx answer. A read changes nothing, so whatever may pass is tried again: a 429 after
   * Loops' window, a 5xx or a lost connection (a reused keep-alive socket the server just closed) after a short
   * backoff. Any other status is an error at once.
   */
  private async get(path: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= ATTEMPTS;
      let response: LoopsTransportResponse;
      try {
        response = await this.request(path);
      } catch (error) {
        if (last || !(error instanceof LoopsNetworkError) || error.code === 'ABORT_ERR') throw error;
        await this.pause(RETRY_DELAY_MS * attempt);
        continue;
      }
      const { status, headers } = response;
      // As for every request of the module: none left in Loops' window holds the next ones back, whoever sends them.
      const paced = this.options.limiter;
      if (paced && usedUpRateLimitWindow(response)) {
        tellLimiter(paced.log, 'pauseFor', () => paced.limiter.pauseFor(RATE_LIMIT_WINDOW_MS));
      }
      if (status >= 200 && status < 300) return response.body;
      const details = { status, body: this.redactedMessage(response) };
      if (status === 401 || status === 403) throw new LoopsAuthError(details);
      if (status === 429) {
        if (last) {
          const [limit, remaining] = [headers['x-ratelimit-limit'], headers['x-ratelimit-remaining']].map(readInteger);
          throw new LoopsRateLimitError(details, limit, remaining);
        }
        await this.pause(RATE_LIMIT_WINDOW_MS);
        continue;
      }
      if (status < 500 || last) {
        throw new LoopsApiError(
          details,
          `Loops answered ${status} to GET ${path.split('?')[0]}${messageOf(details.body)}`,
        );
      }
      await this.pause(RETRY_DELAY_MS * attempt);
    }
  }

  /** Waits before an attempt; cancelled with the reader's signal, which the next request then reports. */
  private pause(ms: number): Promise<void> {
    return abortableSleep(ms, this.options.signal).catch(() => undefined);
  }

  private async request(path: string): Promise<LoopsTransportResponse> {
    const { baseUrl, apiKey, transport, limiter, timeoutMs, signal } = this.options;
    const what = `GET ${path.split('?')[0]}`;
    if (signal?.aborted) throw new LoopsNetworkError(`${what} was cancelled`, 'ABORT_ERR', signal.reason);
    const slot = limiter
      ? await acquireSlot(limiter.limiter, signal).catch((reason: unknown) => {
          throw new LoopsNetworkError(`${what} was cancelled`, 'ABORT_ERR', reason);
        })
      : undefined;
    try {
      return await attemptWithin(
        transport,
        {
          method: 'GET',
          url: `${baseUrl}${path}`,
          headers: { Accept: 'application/json', Authorization: `Bearer ${apiKey}` },
        },
        timeoutMs,
        signal,
        (cause) => new LoopsNetworkError(`Loops did not answer ${what} within ${timeoutMs} ms`, 'ETIMEDOUT', cause),
      );
    } catch (error) {
      if (signal?.aborted) throw new LoopsNetworkError(`${what} was cancelled`, 'ABORT_ERR', signal.reason);
      throw networkErrorFrom(error, apiKey, `${what} failed`);
    } finally {
      if (limiter && slot) tellLimiter(limiter.log, 'release', slot);
    }
  }

  /** Only Loops' message is kept from an error body, with the key cut out should the server echo it. */
  private redactedMessage(response: LoopsTransportResponse): { message: string } | undefined {
    const body = response.body;
    const message = isRecord(body) ? (body.message ?? body.error) : undefined;
    if (typeof message !== 'string') return undefined;
    return { message: redactText(message, this.options.apiKey) };
  }

  private unexpected(path: string): LoopsApiError {
    return new LoopsApiError(
      { status: 200 },
      `Loops answered GET ${path.split('?')[0]} with a body of an unexpected shape`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPropertyType(value: unknown): value is LoopsPropertyType {
  return (LOOPS_PROPERTY_TYPES as readonly unknown[]).includes(value);
}

function messageOf(body: { message: string } | undefined): string {
  return body ? `: ${body.message}` : '';
}

function readInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
