import type { LoopsPreparedEvent } from './prepared-event';
import type { LoopsPreparedTransactional } from './prepared-transactional';

/** What the background engines carry and `LoopsSender` delivers: an event or a transactional email. */
export type LoopsPreparedRequest = LoopsPreparedEvent | LoopsPreparedTransactional;

/** The Loops API path each kind is posted to, below the base URL. */
export const REQUEST_PATHS = { event: '/events/send', transactional: '/transactional' } as const;

/** The name that tells a request apart in logs, job names and metrics: the event name or the transactional id. */
export function requestName(request: LoopsPreparedRequest): string {
  return request.kind === 'transactional' ? request.transactionalId : request.eventName;
}

/** `event "signup"` or `transactional email "clx..."`, for log lines and error messages. */
export function describeRequest(request: LoopsPreparedRequest): string {
  return request.kind === 'transactional'
    ? `transactional email "${request.transactionalId}"`
    : `event "${request.eventName}"`;
}
