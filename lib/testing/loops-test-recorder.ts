import { Injectable } from '@nestjs/common';
import type { LoopsError } from '../errors/loops.error';
import { MAX_TIMER_MS } from '../utils/read-option';
import { InMemoryAudience } from './in-memory-audience';

/** An event that the in-memory transport accepted, as Loops would have received it. */
export interface RecordedLoopsEvent {
  eventName: string;
  /** The JSON body on the wire: contact properties flattened, Dates as ISO strings. */
  body: Record<string, unknown>;
  idempotencyKey: string;
  headers: Record<string, string>;
}

/** A transactional email that the in-memory transport accepted, as Loops would have received it. */
export interface RecordedLoopsTransactional {
  transactionalId: string;
  /** The recipient. */
  email: string;
  /** The JSON body on the wire. */
  body: Record<string, unknown>;
  idempotencyKey: string;
  headers: Record<string, string>;
}

/** Any request the in-memory transport answered (events, transactional emails, contacts, the key check), in order. */
export interface RecordedLoopsCall {
  method: string;
  /** Below the API's base URL: `/events/send`, `/transactional`, `/contacts/update`, ... */
  path: string;
  /** The query parameters (`/contacts/find?email=...`). */
  query: Record<string, string>;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
  headers: Record<string, string>;
  /** What the in-memory transport answered; absent when a scripted error was thrown instead. */
  status?: number;
}

/** An answer to script: an HTTP status (with an optional body), or an error thrown as is. */
export type LoopsTestFailure = { status: number; body?: unknown; headers?: Record<string, string> } | LoopsError;

export interface WaitForOptions {
  /** Default 1 000 ms. */
  timeoutMs?: number;
}

interface Waiter {
  matches: (kind: 'event' | 'transactional', name: string) => boolean;
  resolve: (recorded: RecordedLoopsEvent | RecordedLoopsTransactional) => void;
}

/**
 * What `LoopsTestingModule` sent, and the failures to answer with next. Inject it in a test to assert events,
 * transactional emails and contact calls, or to script failures. `audience` holds the contacts the contact calls
 * created and changed.
 */
@Injectable()
export class LoopsTestRecorder {
  /** The contacts as the in-memory Loops keeps them: what contact calls created, changed and deleted. */
  readonly audience = new InMemoryAudience();
  private readonly recorded: RecordedLoopsEvent[] = [];
  private readonly transactional: RecordedLoopsTransactional[] = [];
  private readonly requests: RecordedLoopsCall[] = [];
  private readonly failures: LoopsTestFailure[] = [];
  private waiters: Waiter[] = [];

  /** Every accepted event, oldest first. */
  get events(): readonly RecordedLoopsEvent[] {
    return this.recorded;
  }

  /** Every accepted transactional email, oldest first. */
  get transactionalEmails(): readonly RecordedLoopsTransactional[] {
    return this.transactional;
  }

  /** Every request the transport answered, of any kind and whatever the answer, oldest first. */
  get calls(): readonly RecordedLoopsCall[] {
    return this.requests;
  }

  /** The accepted events named `eventName`. */
  eventsNamed(eventName: string): RecordedLoopsEvent[] {
    return this.recorded.filter((event) => event.eventName === eventName);
  }

  /** The accepted sends of the transactional email `transactionalId`. */
  transactionalSent(transactionalId: string): RecordedLoopsTransactional[] {
    return this.transactional.filter((email) => email.transactionalId === transactionalId);
  }

  /** Forgets the recorded events, emails, calls and contacts, and any scripted failures. */
  clear(): void {
    this.recorded.length = 0;
    this.transactional.length = 0;
    this.requests.length = 0;
    this.failures.length = 0;
    this.audience.clear();
  }

  /** Makes the next `count` requests fail with `failure` (retries count as requests). */
  failNext(count: number, failure: LoopsTestFailure): void {
    for (let index = 0; index < count; index++) this.failures.push(failure);
  }

  /**
   * Resolves with the first event named `eventName`, already sent or sent later (background events).
   * @throws Error when none is sent within `timeoutMs`.
   */
  waitFor(eventName: string, options: WaitForOptions = {}): Promise<RecordedLoopsEvent> {
    const sent = this.recorded.find((event) => event.eventName === eventName);
    if (sent) return Promise.resolve(sent);
    return this.wait('event', eventName, `Loops event "${eventName}"`, options) as Promise<RecordedLoopsEvent>;
  }

  /**
   * Resolves with the first send of the transactional email `transactionalId`, already made or made later.
   * @throws Error when none is sent within `timeoutMs`.
   */
  waitForTransactional(transactionalId: string, options: WaitForOptions = {}): Promise<RecordedLoopsTransactional> {
    const sent = this.transactional.find((email) => email.transactionalId === transactionalId);
    if (sent) return Promise.resolve(sent);
    const what = `Loops transactional email "${transactionalId}"`;
    return this.wait('transactional', transactionalId, what, options) as Promise<RecordedLoopsTransactional>;
  }

  /** Used by the in-memory transport: the scripted failure for the next request, if any. */
  takeFailure(): LoopsTestFailure | undefined {
    return this.failures.shift();
  }

  /** Used by the in-memory transport: whether an event or email with this key was accepted already. */
  hasKey(idempotencyKey: string): boolean {
    return (
      this.recorded.some((event) => event.idempotencyKey === idempotencyKey) ||
      this.transactional.some((email) => email.idempotencyKey === idempotencyKey)
    );
  }

  /** Used by the in-memory transport for every request it answers. */
  recordCall(call: RecordedLoopsCall): void {
    this.requests.push(call);
  }

  /** Used by the in-memory transport when it accepts an event. */
  record(event: RecordedLoopsEvent): void {
    this.recorded.push(event);
    this.notify('event', event.eventName, event);
  }

  /** Used by the in-memory transport when it accepts a transactional email. */
  recordTransactional(email: RecordedLoopsTransactional): void {
    this.transactional.push(email);
    this.notify('transactional', email.transactionalId, email);
  }

  private wait(
    kind: 'event' | 'transactional',
    name: string,
    what: string,
    { timeoutMs = 1_000 }: WaitForOptions,
  ): Promise<RecordedLoopsEvent | RecordedLoopsTransactional> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches: (sentKind, sentName) => sentKind === kind && sentName === name,
        resolve: (recorded) => {
          clearTimeout(timer);
          resolve(recorded);
        },
      };
      // A time longer than Node's timers take (Infinity, say) is no limit, not 1 ms.
      const timer =
        timeoutMs > MAX_TIMER_MS
          ? undefined
          : setTimeout(() => {
              this.waiters = this.waiters.filter((other) => other !== waiter);
              const names = [
                ...this.recorded.map((event) => event.eventName),
                ...this.transactional.map((email) => `transactional ${email.transactionalId}`),
              ];
              reject(
                new Error(
                  `No ${what} was sent within ${timeoutMs} ms (sent so far: ${names.length ? names.join(', ') : 'none'})`,
                ),
              );
            }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private notify(
    kind: 'event' | 'transactional',
    name: string,
    recorded: RecordedLoopsEvent | RecordedLoopsTransactional,
  ): void {
    const matching = this.waiters.filter((waiter) => waiter.matches(kind, name));
    if (matching.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => !matching.includes(waiter));
    for (const waiter of matching) waiter.resolve(recorded);
  }
}
