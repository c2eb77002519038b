import { Injectable } from '@nestjs/common';
import type { LoopsError } from '../errors/loops.error';

/** An event that the in-memory transport accepted, as Loops would have received it. */
export interface RecordedLoopsEvent {
  eventName: string;
  /** The JSON body on the wire: contact properties flattened, Dates as ISO strings. */
  body: Record<string, unknown>;
  idempotencyKey: string;
  headers: Record<string, string>;
}

/** An answer to script: an HTTP status (with an optional body), or an error thrown as is. */
export type LoopsTestFailure = { status: number; body?: unknown; headers?: Record<string, string> } | LoopsError;

export interface WaitForOptions {
  /** Default 1 000 ms. */
  timeoutMs?: number;
}

interface Waiter {
  eventName: string;
  resolve: (event: RecordedLoopsEvent) => void;
}

/**
 * What `LoopsTestingModule` sent, and the failures to answer with next. Inject it in a test to assert
 * events or to script failures.
 */
@Injectable()
export class LoopsTestRecorder {
  private readonly recorded: RecordedLoopsEvent[] = [];
  private readonly failures: LoopsTestFailure[] = [];
  private waiters: Waiter[] = [];

  /** Every accepted event, oldest first. */
  get events(): readonly RecordedLoopsEvent[] {
    return this.recorded;
  }

  /** The accepted events named `eventName`. */
  eventsNamed(eventName: string): RecordedLoopsEvent[] {
    return this.recorded.filter((event) => event.eventName === eventName);
  }

  /** Forgets the recorded events and any scripted failures. */
  clear(): void {
    this.recorded.length = 0;
    this.failures.length = 0;
  }

  /** Makes the next `count` requests fail with `failure` (retries count as requests). */
  failNext(count: number, failure: LoopsTestFailure): void {
    for (let index = 0; index < count; index++) this.failures.push(failure);
  }

  /**
   * Resolves with the first event named `eventName`, already sent or sent later (background events).
   * @throws Error when none is sent within `timeoutMs`.
   */
  waitFor(eventName: string, { timeoutMs = 1_000 }: WaitForOptions = {}): Promise<RecordedLoopsEvent> {
    const sent = this.recorded.find((event) => event.eventName === eventName);
    if (sent) return Promise.resolve(sent);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        eventName,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        const names = this.recorded.map((event) => event.eventName);
        reject(
          new Error(
            `No Loops event "${eventName}" was sent within ${timeoutMs} ms (sent so far: ${names.length ? names.join(', ') : 'none'})`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Used by the in-memory transport: the scripted failure for the next request, if any. */
  takeFailure(): LoopsTestFailure | undefined {
    return this.failures.shift();
  }

  /** Used by the in-memory transport: whether an event with this key was accepted already. */
  hasKey(idempotencyKey: string): boolean {
    return this.recorded.some((event) => event.idempotencyKey === idempotencyKey);
  }

  /** Used by the in-memory transport when it accepts an event. */
  record(event: RecordedLoopsEvent): void {
    this.recorded.push(event);
    const matching = this.waiters.filter((waiter) => waiter.eventName === event.eventName);
    this.waiters = this.waiters.filter((waiter) => waiter.eventName !== event.eventName);
    for (const waiter of matching) waiter.resolve(event);
  }
}
