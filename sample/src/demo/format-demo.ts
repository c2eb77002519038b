import type { LoopsDeliveryOutcome, LoopsTransactionalOutcome } from 'nestjs-loops';
import type { AcceptedEvent } from '../../../test/support/loops-server';
import type { DemoCall } from './demo-requests';
import type { DemoWebhook } from './demo-webhooks';
import { maskEmails } from './mask-emails';

/** A request on one line, its answer on the next. */
export function formatCall(call: DemoCall): string[] {
  const mark = call.ok ? '' : `   <- expected ${describeExpectation(call)}`;
  const lines = [`  ${call.status} ${call.method} ${call.path}  ${call.title}${mark}`];
  if (call.response !== undefined) lines.push(`      ${maskEmails(JSON.stringify(call.response))}`);
  return lines;
}

/**
 * An accepted event (or transactional email) as a block: its name and idempotency key, then the JSON body Loops
 * got.
 */
export function formatAcceptedEvent(event: AcceptedEvent, number: number): string[] {
  const name = event.body.transactionalId
    ? `transactional ${String(event.body.transactionalId)}`
    : event.body.eventName;
  const heading = `#${number} ${String(name)}  (Idempotency-Key: ${event.idempotencyKey ?? 'none'})`;
  return [heading, ...maskEmails(JSON.stringify(event.body, null, 2)).split('\n'), ''];
}

export function formatDelivery(outcome: LoopsDeliveryOutcome | LoopsTransactionalOutcome): string {
  const reason = outcome.status === 'sent' ? '' : `: ${maskEmails(outcome.error.message)}`;
  const name = outcome.kind === 'transactional' ? `transactional ${outcome.transactionalId}` : outcome.eventName;
  return `  ${outcome.status} ${name}${reason}`;
}

/** `signup ×2, planChanged`: names in order of first appearance, with their counts. */
export function countNames(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => (count > 1 ? `${name} ×${count}` : name)).join(', ');
}

/** Why a request did not go as expected, in a few words. */
export function describeCallProblem(call: DemoCall): string {
  return `${call.method} ${call.path} answered ${call.status}, expected ${describeExpectation(call)}`;
}

function describeExpectation(call: DemoCall): string {
  const fields = call.expectedFields ? ` with ${JSON.stringify(call.expectedFields)}` : '';
  return `${call.expectedStatus}${fields}`;
}

/** A webhook on one line, the account as read back on the next. */
export function formatWebhook(webhook: DemoWebhook): string[] {
  const mark = webhook.ok ? '' : `   <- expected ${describeWebhookExpectation(webhook)}`;
  return [
    `  ${webhook.status ?? 'no answer'} ${webhook.eventName} (webhook-id ${webhook.webhookId})  ${webhook.title}${mark}`,
    `      account emailStatus: ${JSON.stringify(webhook.emailStatus)}`,
  ];
}

export function describeWebhookProblem(webhook: DemoWebhook): string {
  return `webhook ${webhook.eventName} answered ${webhook.status ?? 'nothing'} with emailStatus ${JSON.stringify(webhook.emailStatus)}, expected ${describeWebhookExpectation(webhook)}`;
}

function describeWebhookExpectation(webhook: DemoWebhook): string {
  return `${webhook.expectedStatus} with emailStatus "${webhook.expectedEmailStatus}"`;
}
