import { createHash } from 'node:crypto';
import type { RecordedRequest } from './loops-compatible-server';

/** The property types of Loops' OpenAPI spec (`WorkflowEventProperty`, `ContactProperty`). */
export type LoopsAccountPropertyType = 'string' | 'number' | 'boolean' | 'date';

export interface SeededEventPattern {
  eventName: string;
  /** Property name to type, listed in this order. */
  properties?: Record<string, LoopsAccountPropertyType>;
  /** The integration that sends the event; default `null`, the app's own event. */
  incomingWebhookPlatform?: 'clerk' | 'polar' | 'stripe' | 'supabase' | null;
}

export interface SeededContactProperty {
  key: string;
  /** Default: the key. */
  label?: string;
  type: LoopsAccountPropertyType;
}

export interface SeededMailingList {
  /** Default: derived from the name, stable from run to run. */
  id?: string;
  name: string;
  description?: string | null;
  isPublic?: boolean;
}

/** What a test puts in the account; each `seed()` replaces everything seeded before. */
export interface LoopsAccountSeed {
  eventPatterns?: SeededEventPattern[];
  /** Custom contact properties; Loops' built-in ones are always there. */
  contactProperties?: SeededContactProperty[];
  mailingLists?: SeededMailingList[];
}

/** An answer in the server's own terms: a status and a JSON body. */
export interface LoopsAccountAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the server knows about the request that the account needs: the key check and the rate limiter. */
export interface LoopsAccountAccess {
  authorized: boolean;
  /** Counts the request against the rate limit; false when it is over. */
  admit(): boolean;
}

interface EventPattern {
  id: string;
  eventName: string;
  eventProperties: { name: string; type: LoopsAccountPropertyType }[];
  incomingWebhookPlatform: string | null;
}

const PREFIX = '/api/v1';
const BUILT_IN_CONTACT_PROPERTIES: { key: string; label: string; type: LoopsAccountPropertyType }[] = [
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'firstName', label: 'First name', type: 'string' },
  { key: 'lastName', label: 'Last name', type: 'string' },
  { key: 'source', label: 'Source', type: 'string' },
  { key: 'subscribed', label: 'Subscribed', type: 'boolean' },
  { key: 'userGroup', label: 'User group', type: 'string' },
  { key: 'userId', label: 'User ID', type: 'string' },
];
const DEFAULT_PER_PAGE = 20;
const MIN_PER_PAGE = 10;
const MAX_PER_PAGE = 50;

/** A cuid-like id that stays the same for the same seed, so that tests can name it. */
export function seededId(kind: string, name: string): string {
  return `c${createHash('sha256').update(`${kind}:${name}`).digest('hex').slice(0, 24)}`;
}

/**
 * The account behind the read endpoints of the Loops-compatible server, with the shapes of Loops' OpenAPI spec
 * 1.21.6: `GET /v1/event-patterns` (cursor pagination), `/v1/event-patterns/{id}`,
 * `/v1/event-patterns/by-name/{eventName}`, `/v1/contacts/properties` and `/v1/lists`.
 */
export class LoopsAccount {
  /** Every read request answered, in order, with its query: how tests see the paging. */
  readonly reads: { path: string; query: URLSearchParams; status: number }[] = [];
  private patterns: EventPattern[] = [];
  private contactProperties: { key: string; label: string; type: LoopsAccountPropertyType }[] = [];
  private mailingLists: { id: string; name: string; description: string | null; isPublic: boolean }[] = [];
  private readonly scripted: LoopsAccountAnswer[] = [];

  seed(seed: LoopsAccountSeed): void {
    this.patterns = (seed.eventPatterns ?? []).map((pattern) => ({
      id: seededId('event', pattern.eventName),
      eventName: pattern.eventName,
      eventProperties: Object.entries(pattern.properties ?? {}).map(([name, type]) => ({ name, type })),
      incomingWebhookPlatform: pattern.incomingWebhookPlatform ?? null,
    }));
    this.contactProperties = (seed.contactProperties ?? []).map((property) => ({
      key: property.key,
      label: property.label ?? property.key,
      type: property.type,
    }));
    this.mailingLists = (seed.mailingLists ?? []).map((list) => ({
      id: list.id ?? seededId('list', list.name),
      name: list.name,
      description: list.description ?? null,
      isPublic: list.isPublic ?? true,
    }));
  }

  /** Answers the next read requests with these, in order, before any other check. */
  script(...answers: LoopsAccountAnswer[]): void {
    this.scripted.push(...answers);
  }

  clear(): void {
    this.seed({});
    this.scripted.length = 0;
    this.reads.length = 0;
  }

  /** The answer to a read of the account, or `undefined` when `record` is for another endpoint. */
  answer(record: RecordedRequest, url: string, access: LoopsAccountAccess): LoopsAccountAnswer | undefined {
    const route = this.findRoute(record.path);
    if (!route) return undefined;
    const query = new URL(url, 'http://127.0.0.1').searchParams;
    const answer = this.answerRoute(record.method, route, query, access);
    this.reads.push({ path: record.path, query, status: answer.status });
    return answer;
  }

  private findRoute(path: string): ((query: URLSearchParams) => LoopsAccountAnswer) | undefined {
    if (!path.startsWith(`${PREFIX}/`)) return undefined;
    const rest = path.slice(PREFIX.length);
    if (rest === '/event-patterns') return (query: URLSearchParams) => this.listPatterns(query);
    if (rest === '/contacts/properties') return (query: URLSearchParams) => this.listContactProperties(query);
    if (rest === '/lists') return () => ({ status: 200, body: this.mailingLists });
    const byName = /^\/event-patterns\/by-name\/([^/]+)$/.exec(rest);
    if (byName) return () => this.findPattern((pattern) => pattern.eventName === decodeURIComponent(byName[1]));
    const byId = /^\/event-patterns\/([^/]+)$/.exec(rest);
    if (byId) return () => this.findPattern((pattern) => pattern.id === decodeURIComponent(byId[1]));
    return undefined;
  }

  private answerRoute(
    method: string,
    route: (query: URLSearchParams) => LoopsAccountAnswer,
    query: URLSearchParams,
    access: LoopsAccountAccess,
  ): LoopsAccountAnswer {
    if (method !== 'GET') {
      return {
        status: 405,
        body: { success: false, message: `Method ${method} not allowed` },
        headers: { allow: 'GET' },
      };
    }
    const scripted = this.scripted.shift();
    if (scripted) return scripted;
    if (!access.authorized) return { status: 401, body: { success: false, message: 'Invalid API key' } };
    if (!access.admit()) return { status: 429, body: { success: false, message: 'Rate limit exceeded' } };
    return route(query);
  }

  private findPattern(matches: (pattern: EventPattern) => boolean): LoopsAccountAnswer {
    const pattern = this.patterns.find(matches);
    return pattern ? { status: 200, body: pattern } : { status: 404, body: { message: 'Event pattern not found' } };
  }

  private listPatterns(query: URLSearchParams): LoopsAccountAnswer {
    const perPageText = query.get('perPage') ?? String(DEFAULT_PER_PAGE);
    const perPage = Number(perPageText);
    if (!/^\d+$/.test(perPageText) || perPage < MIN_PER_PAGE || perPage > MAX_PER_PAGE) {
      return { status: 400, body: { message: `perPage must be between ${MIN_PER_PAGE} and ${MAX_PER_PAGE}` } };
    }
    const cursor = query.get('cursor');
    let start = 0;
    if (cursor !== null) {
      // Cursors are opaque to clients; here, the id of the first pattern of the page, in base64url.
      const id = Buffer.from(cursor, 'base64url').toString('utf8');
      start = this.patterns.findIndex((pattern) => pattern.id === id);
      if (start < 0) return { status: 400, body: { message: 'Invalid cursor' } };
    }
    const data = this.patterns.slice(start, start + perPage).map(({ id, eventName, incomingWebhookPlatform }) => ({
      id,
      eventName,
      incomingWebhookPlatform,
    }));
    const next = this.patterns[start + perPage];
    const nextCursor = next ? Buffer.from(next.id, 'utf8').toString('base64url') : null;
    return {
      status: 200,
      body: {
        pagination: {
          totalResults: this.patterns.length,
          returnedResults: data.length,
          perPage,
          totalPages: Math.ceil(this.patterns.length / perPage),
          nextCursor,
          nextPage: nextCursor && `${PREFIX}/event-patterns?perPage=${perPage}&cursor=${nextCursor}`,
        },
        data,
      },
    };
  }

  private listContactProperties(query: URLSearchParams): LoopsAccountAnswer {
    const list = query.get('list') ?? 'all';
    if (list !== 'all' && list !== 'custom') {
      return { status: 400, body: { success: false, message: 'list must be "all" or "custom"' } };
    }
    return {
      status: 200,
      body: list === 'all' ? [...BUILT_IN_CONTACT_PROPERTIES, ...this.contactProperties] : this.contactProperties,
    };
  }
}
