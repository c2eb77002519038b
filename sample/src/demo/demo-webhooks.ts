import type { LoopsWebhookEventName } from 'nestjs-loops';
import { buildLoopsWebhookPayload } from 'nestjs-loops/testing';
import { LoopsWebhookSender } from '../../../test/support/loops-server';
import type { EmailStatus } from '../accounts/email-status';

export const WEBHOOKS_PATH = '/loops/webhooks';

export interface DemoWebhook {
  title: string;
  eventName: LoopsWebhookEventName;
  webhookId: string;
  /** Undefined when the request failed outright. */
  status: number | undefined;
  expectedStatus: number;
  /** The account's `emailStatus` read back after the webhook, and the one expected. */
  emailStatus: unknown;
  expectedEmailStatus: EmailStatus;
  ok: boolean;
}

interface WebhookStep {
  title: string;
  eventName: 'email.hardBounced' | 'contact.unsubscribed';
  /** Signs with a secret the app doesn't know, as a forger would. */
  forged?: boolean;
  expectedStatus: number;
  expectedEmailStatus: EmailStatus;
}

const STEPS: WebhookStep[] = [
  {
    title: 'A forged bounce for Jane, signed with another secret, is refused',
    eventName: 'email.hardBounced',
    forged: true,
    expectedStatus: 401,
    expectedEmailStatus: 'subscribed',
  },
  {
    title: 'Jane unsubscribed in an email: Loops tells the app',
    eventName: 'contact.unsubscribed',
    expectedStatus: 204,
    expectedEmailStatus: 'unsubscribed',
  },
  {
    title: 'An email to Jane hard-bounced: the app stops emailing the address for good',
    eventName: 'email.hardBounced',
    expectedStatus: 204,
    expectedEmailStatus: 'bounced',
  },
];

/**
 * Has the local Loops server send signed webhooks about `account` to the app at `appUrl`, reading the account
 * back after each, the way Loops would post them to the endpoint of its webhook settings.
 */
export async function runDemoWebhooks(
  appUrl: string,
  loops: LoopsWebhookSender,
  account: { id: string; email: string },
  onWebhook: (webhook: DemoWebhook) => void,
): Promise<DemoWebhook[]> {
  const done: DemoWebhook[] = [];
  for (const step of STEPS) {
    const sender = step.forged ? new LoopsWebhookSender() : loops;
    const payload = buildLoopsWebhookPayload(step.eventName, {
      contactIdentity: { email: account.email, userId: account.id },
    });
    const sent = await sender.send(new URL(WEBHOOKS_PATH, appUrl).href, payload);
    const readBack = await fetch(new URL(`/accounts/${account.id}`, appUrl));
    const { emailStatus } = (await readBack.json()) as { emailStatus?: unknown };
    const status = sent.attempts[0]?.status;
    const webhook: DemoWebhook = {
      title: step.title,
      eventName: step.eventName,
      webhookId: sent.webhookId,
      status,
      expectedStatus: step.expectedStatus,
      emailStatus,
      expectedEmailStatus: step.expectedEmailStatus,
      ok: status === step.expectedStatus && emailStatus === step.expectedEmailStatus,
    };
    done.push(webhook);
    onWebhook(webhook);
  }
  return done;
}
