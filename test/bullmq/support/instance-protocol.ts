import type { LoopsModuleOptions, SendEventInput } from '../../../lib';

/** What the parent gives an app instance running in a child process (`loops-instance.ts`). */
export interface InstanceInput {
  options: LoopsModuleOptions;
}

export type ToInstance =
  { type: 'enqueue'; events: { event: SendEventInput; idempotencyKey?: string }[] } | { type: 'close' };

export type FromInstance =
  | { type: 'ready' }
  | { type: 'enqueued'; keys: string[] }
  | { type: 'outcome'; status: string; idempotencyKey?: string; attempts?: number; error?: string }
  | { type: 'closed' }
  | { type: 'error'; error: string };
