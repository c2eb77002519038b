import { join } from 'node:path';
import { typeCheckFiles } from '../support/type-check-files';

const root = join(__dirname, '../..');

/** Type-checks each snippet as a file importing the package; returns the errors of each. */
function errorsOf(snippets: Record<string, string>): Record<string, string[]> {
  const fileName = (name: string) => `webhook-types-${name}.ts`;
  const lines = typeCheckFiles(
    new Map(
      Object.entries(snippets).map(([name, code]) => [
        join(root, fileName(name)),
        `import { Injectable } from '@nestjs/common';\nimport { OnLoopsWebhook, type LoopsWebhookEvent, type LoopsWebhookContext, isLoopsWebhookEvent } from 'nestjs-loops';\n${code}`,
      ]),
    ),
  );
  return Object.fromEntries(
    Object.keys(snippets).map((name) => [name, lines.filter((line) => line.startsWith(`${fileName(name)}:`))]),
  );
}

describe('@OnLoopsWebhook() types', () => {
  it('checks the handler parameter against the event types it subscribes to', () => {
    const errors = errorsOf({
      typed: `@Injectable() export class A {
        @OnLoopsWebhook('email.hardBounced')
        async bounced(event: LoopsWebhookEvent<'email.hardBounced'>, context: LoopsWebhookContext): Promise<void> {
          const subject: string = event.email.subject;
          const source: 'campaign' | 'loop' | 'transactional' = event.sourceType;
          void subject; void source; void context.webhookId;
        }
      }`,
      several: `@Injectable() export class A {
        @OnLoopsWebhook('contact.unsubscribed', 'email.hardBounced')
        stop(event: LoopsWebhookEvent<'contact.unsubscribed' | 'email.hardBounced'>): string {
          return event.contactIdentity.email;
        }
      }`,
      everything: `@Injectable() export class A {
        @OnLoopsWebhook('*')
        all(event: LoopsWebhookEvent<'*'>): string | undefined {
          if (isLoopsWebhookEvent(event, 'contact.created')) return event.contact.email;
          return event.eventName;
        }
      }`,
      noParameter: `@Injectable() export class A { @OnLoopsWebhook('contact.created') created(): void {} }`,
      wrongType: `@Injectable() export class A {
        @OnLoopsWebhook('contact.created')
        created(event: LoopsWebhookEvent<'email.hardBounced'>): void { void event; }
      }`,
      tooNarrowForStar: `@Injectable() export class A {
        @OnLoopsWebhook('*')
        all(event: LoopsWebhookEvent<'contact.created'>): void { void event; }
      }`,
      missingField: `@Injectable() export class A {
        @OnLoopsWebhook('contact.unsubscribed')
        gone(event: LoopsWebhookEvent<'contact.unsubscribed'>): void { void event.email; }
      }`,
      noTopic: `@Injectable() export class A { @OnLoopsWebhook() nothing(): void {} }`,
    });
    expect(errors).toMatchObject({ typed: [], several: [], everything: [], noParameter: [] });
    for (const name of ['wrongType', 'tooNarrowForStar', 'missingField', 'noTopic']) {
      expect(errors[name]).not.toEqual([]);
    }
  }, 60_000);
});
