import type { LoopsModuleOptions, SendEventInput, SendTransactionalInput } from '../../../lib';

/** What the parent gives an app instance running in a child process (`loops-instance.ts`). */
export interface InstanceInput {
  options: LoopsModuleOptions;
}

/** An event, or (with `transactional`) a transactional email, to enqueue. */
export interface InstanceSend {
  event?: SendEventInput;
  transactional?: SendTransactionalInput;
  idempotencyKey?: string;
}

export type ToInstance = { type: 'enqueue'; events: InstanceSend[] } | { type: 'close' };

export type FromInstance =
  | { type: 'ready' }
  | { type: 'enqueued'; keys: string[] }
  | { type: 'outcome'; kind: string; status: string; idempotencyKey?: string; attempts?: number; error?: string }
  | { type: 'closed' }
  | { type: 'error'; error: string };
