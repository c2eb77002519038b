import { INestApplication } from '@nestjs/common';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { signLoopsWebhook, type SignLoopsWebhookOptions } from './sign-loops-webhook';

export interface PostLoopsWebhookOptions extends Partial<SignLoopsWebhookOptions> {
  /** Default: the app's `webhooks.path`. */
  path?: string;
  /** Sent as well, replacing the signed ones of the same name: to test how a tampered request is answered. */
  headers?: Record<string, string>;
}

export interface PostLoopsWebhookResult {
  status: number;
  /** The answer's JSON, or its text when it isn't JSON; undefined when empty. */
  body: unknown;
  webhookId: string;
}

/** Servers this helper had to start, so that each is started once however many webhooks are posted. */
const started = new WeakMap<Server, Promise<AddressInfo>>();

/**
 * Signs `payload` like Loops and posts it to the app's webhook route, with the app's own secret and path
 * unless given. The app must be initialised (`app.init()`; with Fastify, its instance `ready()`); it is started
 * on a free loopback port if it isn't listening, and `app.close()` stops it.
 */
export async function postLoopsWebhook(
  app: INestApplication,
  payload: object | string,
  options: PostLoopsWebhookOptions = {},
): Promise<PostLoopsWebhookResult> {
  const webhooks = app.get<symbol, ResolvedLoopsOptions>(LOOPS_RESOLVED_OPTIONS, { strict: false }).webhooks;
  const secret = options.secret ?? webhooks?.secrets[0];
  const path = options.path ?? webhooks?.path;
  if (secret === undefined || path === undefined) {
    throw new TypeError('postLoopsWebhook: the app has no webhooks option; pass secret and path');
  }
  const signed = signLoopsWebhook(payload, { secret, webhookId: options.webhookId, timestamp: options.timestamp });
  const address = await addressOf(app.getHttpServer() as Server);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: address.port,
        // No keep-alive: a pooled connection would hold the app's server open after the test.
        agent: false,
        method: 'POST',
        path,
        headers: { ...signed.headers, ...options.headers, 'content-length': Buffer.byteLength(signed.body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: parse(Buffer.concat(chunks).toString('utf8')),
            webhookId: signed.webhookId,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(signed.body);
  });
}

function addressOf(server: Server): Promise<AddressInfo> {
  const address = server.address();
  if (address !== null && typeof address === 'object') return Promise.resolve(address);
  let listening = started.get(server);
  if (!listening) {
    listening = new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
    started.set(server, listening);
  }
  return listening;
}

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
