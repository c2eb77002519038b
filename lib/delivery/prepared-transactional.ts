import type { LoopsPreparedEvent } from './prepared-event';

/**
 * A validated transactional email ready to be sent (`POST /v1/transactional`), as it waits in a queue: the same
 * key, body and trace fields as an event, so that the same engines, retries and idempotency rules carry it.
 */
export interface LoopsPreparedTransactional extends Omit<LoopsPreparedEvent, 'kind' | 'eventName'> {
  kind: 'transactional';
  transactionalId: string;
}
