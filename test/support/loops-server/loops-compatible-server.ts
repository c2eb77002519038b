import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { auditDeliveries, type DeliveryAudit } from './delivery-audit';
import { LoopsAccount, type LoopsAccountAnswer } from './loops-account';
import { LoopsContacts } from './loops-contacts';
import { LoopsTransactionalEmails } from './loops-transactional-emails';
import { LoopsWebhookSender } from './loops-webhook-sender';

/**
 * Loops documents that a key reused within 24 hours gets 409, but not whether an identical repeat is refused too,
 * nor whether a request refused for the rate limit uses up its key. Each plausible rule is a variant, and the
 * library's delivery tests run under every one of them, so that no guarantee rests on one guess.
 */
export type LoopsIdempotencyRule =
  /** 409 to any reuse of a key that an accepted request carried (the documented rule, and the default). */
  | 'any-reuse'
  /** An identical repeat of an accepted request gets 200 again, accepting nothing; a different body gets 409. */
  | 'replay-identical'
  /** Like `any-reuse`, and a request answered 429 uses up its key as well. */
  | 'rate-limited-too';

export const LOOPS_IDEMPOTENCY_RULES: readonly LoopsIdempotencyRule[] = [
  'any-reuse',
  'replay-identical',
  'rate-limited-too',
];

export interface LoopsServerOptions {
  /** Requests must send `Authorization: Bearer <apiKey>`. Default `test-key`. */
  apiKey?: string;
  /** Events/send requests admitted per sliding second. Default 10; 0 or Infinity = no limit. */
  rateLimitPerSecond?: number;
  /** Answered by `GET /api/v1/api-key`. Default `Test team`. */
  teamName?: string;
  /** Port to listen on. Default 0 (a free port); the CLI sets it from `PORT`. */
  port?: number;
  /** Default `any-reuse`. */
  idempotencyRule?: LoopsIdempotencyRule;
  /** What stamps arrivals and answers, and drives the rate limit. Default `Date.now`. */
  clock?: () => number;
  /** The account's webhook signing secret (`whsec_...`). Default: a random one. */
  webhookSecret?: string;
}

export type LoopsServerAnswer =
  /** Answer this instead of processing. `rawBody` (e.g. an HTML error page) wins over `body`. */
  | { kind: 'status'; status: number; body?: unknown; rawBody?: string; headers?: Record<string, string> }
  /** Wait `ms`, then process normally. */
  | { kind: 'delay'; ms: number }
  /** Destroy the socket without answering; the event is not accepted. */
  | { kind: 'drop' }
  /** Process normally (the event is accepted and its idempotency key stored), then destroy the socket unanswered. */
  | { kind: 'accept-then-drop' }
  /** Process normally at once, and answer only after `ms`: an event accepted whose answer is still on its way. */
  | { kind: 'accept-then-delay'; ms: number };

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, `?` included; empty without one. */
  search: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** The clock when the request's headers arrived. */
  receivedAt: number;
  /**
   * The place of that arrival among everything this server stamped: two stamps can share a millisecond, and a
   * client on keep-alive often sends its next request within the millisecond it read an answer.
   */
  receivedOrder: number;
  /** The status answered; undefined while pending and when the connection was dropped. */
  status?: number;
  /** The `Idempotency-Key` of an events/send request, when it carried one. */
  idempotencyKey?: string;
  /** This request's event was accepted (a scripted accept-then-drop included). */
  accepted?: boolean;
  /** When the whole answer had been handed to the connection; undefined if it never was. */
  answeredAt?: number;
  /** The place of that hand-over among everything this server stamped, like `receivedOrder`. */
  answeredOrder?: number;
  /** When the exchange ended, answered or not. */
  closedAt?: number;
  /** The place of that end among everything this server stamped, like `receivedOrder`. */
  closedOrder?: number;
  /** When the client's connection closed; a keep-alive connection outlives its exchanges. */
  connectionClosedAt?: number;
}

export interface AcceptedEvent {
  /** `/api/v1/events/send`, or `/api/v1/transactional` for a transactional email. */
  path: string;
  idempotencyKey?: string;
  body: Record<string, unknown>;
  receivedAt: number;
}

export type LoopsServerResponder = (request: RecordedRequest) => LoopsServerAnswer | undefined;

interface Reply extends LoopsAccountAnswer {
  rawBody?: string;
}

const API_PREFIX = '/api/v1';
const EVENTS_SEND_PATH = `${API_PREFIX}/events/send`;
const TRANSACTIONAL_PATH = `${API_PREFIX}/transactional`;
const API_KEY_PATH = `${API_PREFIX}/api-key`;
const ALLOWED_METHODS: Record<string, string> = { [EVENTS_SEND_PATH]: 'POST', [API_KEY_PATH]: 'GET' };

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_JSON_LENGTH = 500;
const MAX_IDEMPOTENCY_KEY_LENGTH = 100;
const RESERVED_CONTACT_PROPERTIES = new Set(['id', 'listId', 'softDeleteAt', 'teamId', 'updatedAt']);
const EVENT_FIELDS = new Set(['eventName', 'email', 'userId', 'eventProperties', 'mailingLists']);
const RATE_WINDOW_MS = 1000;
/** What `x-ratelimit-limit` says when the server has no limit, so clients still find a number. */
const UNLIMITED_HEADER_VALUE = 1_000_000;
/** How long admitted arrival times are kept: far beyond the window, so a request delayed by a script still
 * sees the arrivals around its own. */
const ARRIVAL_RETENTION_MS = 60_000;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const jsonLength = (value: string): number => JSON.stringify(value).length;

/** Keeps messages readable when the offending key is itself hundreds of characters long. */
const shorten = (key: string): string => (key.length > 40 ? `${key.slice(0, 40)}…` : key);

/** Index of the first element greater than `value` in the sorted array. */
function upperBound(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The Loops rules for a send-event body; returns what is wrong (naming the field), or undefined when valid. */
function validateEventBody(body: unknown): string | undefined {
  if (!isPlainObject(body)) return 'Request body must be a JSON object';

  const { eventName, eventProperties, mailingLists } = body;
  if (typeof eventName !== 'string' || eventName.length === 0) return 'eventName must be a non-empty string';
  if (eventName.includes(':')) return 'eventName must not contain a colon';

  for (const field of ['email', 'userId']) {
    if (field in body && (typeof body[field] !== 'string' || body[field] === '')) {
      return `${field} must be a non-empty string`;
    }
  }
  if (!('email' in body) && !('userId' in body)) return 'email or userId is required';

  if ('eventProperties' in body) {
    if (!isPlainObject(eventProperties)) return 'eventProperties must be an object';
    for (const [key, value] of Object.entries(eventProperties)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        return `eventProperties.${shorten(key)} must be a string, number or boolean`;
      }
    }
  }

  if ('mailingLists' in body) {
    if (!isPlainObject(mailingLists)) return 'mailingLists must be an object';
    for (const [id, subscribed] of Object.entries(mailingLists)) {
      if (typeof subscribed !== 'boolean') return `mailingLists.${shorten(id)} must be true or false`;
    }
  }

  for (const [key, value] of Object.entries(body)) {
    if (EVENT_FIELDS.has(key)) continue;
    if (RESERVED_CONTACT_PROPERTIES.has(key)) return `${key} is a reserved contact property name`;
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      return `${shorten(key)} must be a string, number, boolean or null`;
    }
  }

  return findOverlongText(body, '');
}

/** Loops limits every key and string value, at any depth, to 500 characters of JSON text (quotes included). */
function findOverlongText(object: Record<string, unknown>, prefix: string): string | undefined {
  for (const [key, value] of Object.entries(object)) {
    const path = `${prefix}${shorten(key)}`;
    if (jsonLength(key) > MAX_JSON_LENGTH) return `key ${path} is longer than ${MAX_JSON_LENGTH} characters as JSON`;
    if (typeof value === 'string' && jsonLength(value) > MAX_JSON_LENGTH) {
      return `${path} is longer than ${MAX_JSON_LENGTH} characters as JSON`;
    }
    if (isPlainObject(value)) {
      const nested = findOverlongText(value, `${path}.`);
      if (nested) return nested;
    }
  }
  return undefined;
}

/**
 * A stand-in for the Loops API (`/api/v1/events/send`, `/transactional`, `/contacts/*`, `/api-key` and the account's
 * reads) on 127.0.0.1, with scripted faults, for tests, the sample app and benchmarks. It records every request and
 * every accepted event and transactional email.
 */
export class LoopsCompatibleServer {
  readonly requests: RecordedRequest[] = [];
  readonly accepted: AcceptedEvent[] = [];
  /** The account read by `GET /event-patterns`, `/contacts/properties` and `/lists`; tests seed it. */
  readonly account = new LoopsAccount();
  /** Sends signed webhooks, as Loops does to the endpoint set in its webhook settings. */
  readonly webhooks: LoopsWebhookSender;
  /** The transactional emails `POST /transactional` knows; any id until a test seeds some. */
  readonly transactionalEmails = new LoopsTransactionalEmails();
  /** The contacts behind `/contacts/create`, `update`, `find` and `delete`. */
  readonly contacts = new LoopsContacts();
  rateLimitPerSecond: number;

  readonly idempotencyRule: LoopsIdempotencyRule;

  private readonly apiKey: string;
  private readonly teamName: string;
  private readonly clock: () => number;
  private stamps = 0;
  private readonly scriptedAnswers: LoopsServerAnswer[] = [];
  private responder: LoopsServerResponder | undefined;
  /** Each used key, with the body of the request that used it (`replay-identical` compares bodies). */
  private readonly usedIdempotencyKeys = new Map<string, string>();
  /** Sorted arrival times of the events/send requests the limiter admitted. */
  private readonly admittedArrivals: number[] = [];
  private readonly sockets = new Set<Socket>();
  /** The requests each open connection carried, stamped when it closes. */
  private readonly requestsBySocket = new WeakMap<Socket, RecordedRequest[]>();
  /** Cuts short the scripted delays in progress, so that close() never waits on them. */
  private readonly pendingDelays = new Set<() => void>();
  private server: Server | undefined;
  private port: number;

  private constructor(options: LoopsServerOptions) {
    this.apiKey = options.apiKey ?? 'test-key';
    this.teamName = options.teamName ?? 'Test team';
    this.rateLimitPerSecond = options.rateLimitPerSecond ?? 10;
    this.port = options.port ?? 0;
    this.idempotencyRule = options.idempotencyRule ?? 'any-reuse';
    this.clock = options.clock ?? Date.now;
    this.webhooks = new LoopsWebhookSender(options.webhookSecret);
  }

  static async start(options: LoopsServerOptions = {}): Promise<LoopsCompatibleServer> {
    const server = new LoopsCompatibleServer(options);
    await server.listen();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get baseUrl(): string {
    return `${this.url}${API_PREFIX}`;
  }

  script(...answers: LoopsServerAnswer[]): void {
    this.scriptedAnswers.push(...answers);
  }

  respondWith(responder: LoopsServerResponder | undefined): void {
    this.responder = responder;
  }

  acceptedCount(idempotencyKey: string): number {
    return this.accepted.filter((event) => event.idempotencyKey === idempotencyKey).length;
  }

  /** See {@link DeliveryAudit}: what would reveal a duplicate delivery. */
  audit(logicalIdOf: (body: Record<string, unknown>) => string): DeliveryAudit {
    return auditDeliveries(this.requests, this.accepted, logicalIdOf);
  }

  eventRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path === EVENTS_SEND_PATH);
  }

  /** The most of `requests` (events/send by default) that arrived within any sliding `windowMs`. */
  maxInAnyWindow(windowMs = RATE_WINDOW_MS, requests = this.eventRequests()): number {
    const arrivals = requests.map((request) => request.receivedAt).sort((a, b) => a - b);
    let max = 0;
    let first = 0;
    for (let last = 0; last < arrivals.length; last++) {
      while (arrivals[last] - arrivals[first] >= windowMs) first++;
      max = Math.max(max, last - first + 1);
    }
    return max;
  }

  reset(): void {
    this.requests.length = 0;
    this.accepted.length = 0;
    this.scriptedAnswers.length = 0;
    this.responder = undefined;
    this.usedIdempotencyKeys.clear();
    this.admittedArrivals.length = 0;
    this.account.clear();
    this.transactionalEmails.clear();
    this.contacts.clear();
    // A keep-alive connection outlives a reset: the requests it carried are forgotten with the others.
    for (const socket of this.sockets) this.requestsBySocket.set(socket, []);
  }

  async restart(): Promise<void> {
    await this.close();
    await this.listen();
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const cancel of this.pendingDelays) cancel();
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    // server.close() only stops accepting; keep-alive and in-flight connections would hold it open.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private listen(): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      this.requestsBySocket.set(socket, []);
      socket.once('close', () => {
        this.sockets.delete(socket);
        const closedAt = this.clock();
        for (const record of this.requestsBySocket.get(socket) ?? []) record.connectionClosedAt = closedAt;
      });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        // Remembered so that restart() comes back on the same port, as Loops would after an outage.
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://127.0.0.1').pathname,
      search: new URL(request.url ?? '/', 'http://127.0.0.1').search,
      headers: { ...request.headers },
      rawBody: '',
      body: undefined,
      receivedAt: this.clock(),
      receivedOrder: ++this.stamps,
    };
    this.requests.push(record);
    // Stamped at the first sign of the end. A client that gives up closes its connection, and the socket reads that
    // end as soon as it arrives, but the response's 'close' waits for a later phase of the event loop: on a busy
    // machine, a retry read in between would look as if it overlapped the request it replaced.
    const socket = request.socket;
    const ended = () => {
      socket.off('end', ended);
      if (record.closedOrder !== undefined) return;
      record.closedAt = this.clock();
      record.closedOrder = ++this.stamps;
    };
    socket.once('end', ended);
    response.once('close', ended);
    this.requestsBySocket.get(request.socket)?.push(record);
    try {
      const tooLarge = await this.readBody(request, record);
      if (tooLarge) {
        this.reply(response, record, this.failure(413, `Body is larger than ${MAX_BODY_BYTES} bytes`));
      } else if (record.method === 'POST' && record.path === EVENTS_SEND_PATH) {
        await this.handleEventSend(response, record);
      } else if (record.method === 'POST' && record.path === TRANSACTIONAL_PATH) {
        await this.handleEventSend(response, record, () =>
          this.processEvent(record, (body) => this.transactionalEmails.check(body)),
        );
      } else if (this.contacts.handles(record.path)) {
        const query = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams;
        await this.handleEventSend(response, record, () => this.processContact(record, query));
      } else {
        const access = { authorized: this.isAuthorized(record), admit: () => this.admit(record.receivedAt) };
        this.reply(response, record, this.account.answer(record, request.url ?? '/', access) ?? this.route(record));
      }
    } catch (error) {
      if (!response.headersSent && !response.destroyed) {
        this.reply(response, record, this.failure(500, error instanceof Error ? error.message : String(error)));
      }
    }
  }

  /** Reads the whole body, keeping at most MAX_BODY_BYTES; the rest is drained so the client can finish sending. */
  private async readBody(request: IncomingMessage, record: RecordedRequest): Promise<boolean> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    if (size > MAX_BODY_BYTES) return true;
    record.rawBody = Buffer.concat(chunks).toString('utf8');
    try {
      record.body = record.rawBody === '' ? undefined : JSON.parse(record.rawBody);
    } catch {
      record.body = undefined;
    }
    return false;
  }

  private route(record: RecordedRequest): Reply {
    const allowed = ALLOWED_METHODS[record.path];
    if (!allowed) return this.failure(404, `No route for ${record.path}`);
    if (record.method !== allowed) {
      return { ...this.failure(405, `Method ${record.method} not allowed`), headers: { allow: allowed } };
    }
    // POST /events/send is handled elsewhere, so this is GET /api-key: a request of the team's like any other, it
    // counts against the limit.
    if (!this.isAuthorized(record)) return this.failure(401, 'Invalid API key');
    if (!this.admit(record.receivedAt)) return this.failure(429, 'Rate limit exceeded');
    return { status: 200, body: { success: true, teamName: this.teamName } };
  }

  /**
   * A request that scripted answers and the responder apply to: events, transactional emails and contact calls.
   * `process` is its normal processing.
   */
  private async handleEventSend(
    response: ServerResponse,
    record: RecordedRequest,
    process: () => Reply = () => this.processEvent(record),
  ): Promise<void> {
    const key = record.headers['idempotency-key'];
    if (typeof key === 'string') record.idempotencyKey = key;
    const answer = this.scriptedAnswers.shift() ?? this.responder?.(record);
    switch (answer?.kind) {
      case 'status':
        return this.reply(response, record, answer);
      case 'drop':
        response.socket?.destroy();
        return;
      case 'accept-then-drop':
        process();
        response.socket?.destroy();
        return;
      case 'delay':
        if (!(await this.delay(answer.ms))) return;
        return this.reply(response, record, process());
      case 'accept-then-delay': {
        const reply = process();
        if (!(await this.delay(answer.ms))) return;
        return this.reply(response, record, reply);
      }
      default:
        return this.reply(response, record, process());
    }
  }

  /** Resolves true after `ms`, or false as soon as the server closes. */
  private delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = (): void => {
        clearTimeout(timer);
        this.pendingDelays.delete(cancel);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.pendingDelays.delete(cancel);
        resolve(true);
      }, ms);
      this.pendingDelays.add(cancel);
    });
  }

  /**
   * The normal processing of POST /events/send (or, with `check`, /transactional), in the order Loops applies its
   * checks. `check` refuses a body with Loops' answer, or lets it through.
   */
  private processEvent(
    record: RecordedRequest,
    check: (body: unknown) => Reply | undefined = (body) => {
      const invalid = validateEventBody(body);
      return invalid ? this.failure(400, invalid) : undefined;
    },
  ): Reply {
    if (!this.isAuthorized(record)) return this.failure(401, 'Invalid API key');
    const idempotencyKey = record.idempotencyKey;
    if (!this.admit(record.receivedAt)) {
      if (
        this.idempotencyRule === 'rate-limited-too' &&
        idempotencyKey &&
        !this.usedIdempotencyKeys.has(idempotencyKey)
      ) {
        this.usedIdempotencyKeys.set(idempotencyKey, record.rawBody);
      }
      return this.failure(429, 'Rate limit exceeded');
    }

    const refused = check(record.body);
    if (refused) return refused;

    if (idempotencyKey !== undefined) {
      if (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
        return this.failure(400, `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
      }
      // Kept for the server's life, standing in for Loops' 24 hours; stored only once accepted (or, under
      // `rate-limited-too`, refused for the rate limit), so a 400 doesn't burn the key.
      const usedWith = this.usedIdempotencyKeys.get(idempotencyKey);
      if (usedWith !== undefined) {
        if (this.idempotencyRule !== 'replay-identical') return this.failure(409, 'Idempotency key already used');
        if (usedWith === record.rawBody) return { status: 200, body: { success: true } };
        return this.failure(409, 'Idempotency key already used with a different request body.');
      }
      this.usedIdempotencyKeys.set(idempotencyKey, record.rawBody);
    }

    record.accepted = true;
    this.accepted.push({
      path: record.path,
      idempotencyKey,
      body: record.body as Record<string, unknown>,
      receivedAt: record.receivedAt,
    });
    return { status: 200, body: { success: true } };
  }

  /** A contact call: the key check and the rate limit, then the contacts' own answer. */
  private processContact(record: RecordedRequest, query: URLSearchParams): Reply {
    if (!this.isAuthorized(record)) return this.failure(401, 'Invalid API key');
    if (!this.admit(record.receivedAt)) return this.failure(429, 'Rate limit exceeded');
    return this.contacts.answer(record, query);
  }

  private isAuthorized(record: RecordedRequest): boolean {
    return record.headers.authorization === `Bearer ${this.apiKey}`;
  }

  private isLimited(): boolean {
    return this.rateLimitPerSecond > 0 && Number.isFinite(this.rateLimitPerSecond);
  }

  /**
   * Sliding window by arrival time. Only admitted requests count against it: a client that backs off after a 429
   * is not punished further for the rejected attempts, and one that respects the limit (as `maxInAnyWindow()`
   * measures it) is never rejected. Requests admitted after a delayed one's arrival count for it too, so a
   * scripted delay can't let a burst through.
   */
  private admit(arrival: number): boolean {
    const times = this.admittedArrivals;
    while (times.length > 0 && times[0] <= this.clock() - ARRIVAL_RETENTION_MS) times.shift();
    if (this.isLimited() && this.admittedSince(arrival - RATE_WINDOW_MS) + 1 > this.rateLimitPerSecond) return false;
    times.splice(upperBound(times, arrival), 0, arrival);
    return true;
  }

  private admittedSince(start: number): number {
    return this.admittedArrivals.length - upperBound(this.admittedArrivals, start);
  }

  private failure(status: number, message: string): Reply {
    return { status, body: { success: false, message } };
  }

  private reply(response: ServerResponse, record: RecordedRequest, reply: Reply): void {
    const limit = this.isLimited() ? this.rateLimitPerSecond : UNLIMITED_HEADER_VALUE;
    const remaining = Math.max(0, limit - this.admittedSince(this.clock() - RATE_WINDOW_MS));
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
    };
    let payload: string | undefined;
    if (reply.rawBody !== undefined) {
      payload = reply.rawBody;
      // Load balancers answer Loops' 5xx with HTML pages; saying so lets a script pass just the page.
      headers['content-type'] = /^\s*</.test(payload) ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(reply.headers ?? {})) headers[name.toLowerCase()] = value;

    record.status = reply.status;
    response.writeHead(reply.status, headers);
    response.end(payload, () => {
      record.answeredAt = this.clock();
      record.answeredOrder = ++this.stamps;
    });
  }
}
