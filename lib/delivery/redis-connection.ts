import type { EventEmitter } from 'node:events';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { LoopsQueueUnavailableError } from '../errors/loops-queue-unavailable.error';
import { loadOptionalPeer } from '../utils/load-optional-peer';

// The parts of ioredis used here, typed locally: it is an optional peer, and the published types must not depend
// on a package a user may not have.

/** ioredis connection settings, as this package reads and passes them on. */
export interface RedisOptions {
  retryStrategy?: ((times: number) => number | void | null) | null;
  [option: string]: unknown;
}

/** An ioredis client, as this package uses one. */
export interface RedisClient extends EventEmitter {
  readonly status: string;
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  disconnect(): void;
}

interface IoRedisModule {
  Redis: new (options: RedisOptions) => RedisClient;
}

/**
 * The Redis settings of BullMQ delivery, whichever way the app gave them (ioredis options, a `redis://` or
 * `rediss://` URL, or an ioredis instance whose settings are reused), and the clients made from them. The clients
 * are this module's own: an app's instance is never used for blocking commands nor closed by us.
 */
export class RedisConnection {
  private readonly base: RedisOptions;
  private closing = false;
  private closed = false;
  private readonly clients: RedisClient[] = [];

  constructor(connection: object | string) {
    this.base = readConnection(connection);
  }

  /**
   * Options for a client, with `extra` on top and a retry strategy that gives up once closing began: clients
   * that never reached Redis would otherwise keep reconnecting, and closing them would never end.
   */
  options(extra: RedisOptions = {}): RedisOptions & { retryStrategy: (times: number) => number | null } {
    const appStrategy = this.base.retryStrategy ?? undefined;
    const retryStrategy = (times: number) =>
      this.closing ? null : (appStrategy?.(times) ?? Math.min(times * 200, 2_000));
    return { ...this.base, ...extra, retryStrategy };
  }

  /** A new client of our own, closed by `close()`; none once that was called, as nothing would close it. */
  createClient(extra: RedisOptions = {}): RedisClient {
    if (this.closed) throw new LoopsQueueUnavailableError('The app has shut down: its Redis connections are closed');
    const { Redis: RedisClient } = loadOptionalPeer<IoRedisModule>('ioredis', 'delivery.queue', ['bullmq']);
    const client = new RedisClient(this.options(extra));
    this.clients.push(client);
    return client;
  }

  /** Stops reconnect attempts of every client made from these options. */
  markClosing(): void {
    this.closing = true;
  }

  /** Disconnects the clients `createClient` made: call it once nothing uses them any more. */
  close(): void {
    this.closed = true;
    this.markClosing();
    for (const client of this.clients.splice(0)) client.disconnect();
  }
}

function readConnection(connection: object | string): RedisOptions {
  if (typeof connection === 'string') return parseRedisUrl(connection);
  const instanceOptions = (connection as { options?: unknown; duplicate?: unknown }).options;
  if (typeof (connection as { duplicate?: unknown }).duplicate === 'function' && typeof instanceOptions === 'object') {
    // An ioredis instance: its settings (host, credentials, TLS, sentinels), not its connection.
    return { ...(instanceOptions as RedisOptions) };
  }
  return { ...(connection as RedisOptions) };
}

function parseRedisUrl(text: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoopsConfigurationError(
      'delivery.connection',
      'must be ioredis options, an ioredis instance or a redis:// URL',
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new LoopsConfigurationError('delivery.connection', 'a URL must start with redis:// or rediss://');
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new LoopsConfigurationError('delivery.connection', 'the path of a Redis URL is the database number, e.g. /0');
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
    ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
    ...(db !== '' && { db: Number(db) }),
    ...(url.protocol === 'rediss:' && { tls: {} }),
  };
}

/**
 * Internal injection token of the `RedisConnection` of BullMQ delivery, `null` with in-memory delivery. The rate
 * limiter and the BullMQ engine make their clients from it; the service closes them once the engine has stopped.
 */
export const LOOPS_REDIS_CONNECTION = Symbol('LOOPS_REDIS_CONNECTION');
