// Calls that must compile in an app that registered its catalog (./loops.catalog.ts). Type-checked with tsc by
// test/catalog-types.spec.ts, never run.
import { Controller, Post } from '@nestjs/common';
import {
  EmitLoopsEvent,
  LoopsContactsService,
  type LoopsEventInput,
  type LoopsEventName,
  LoopsEventsService,
  LoopsTransactionalService,
  SendEventDto,
} from 'nestjs-loops';
import { MailingLists } from './loops.catalog';

type IsAny<T> = 0 extends 1 & T ? true : false;
type IsUnknown<T> = unknown extends T ? (IsAny<T> extends true ? false : true) : false;

interface Account {
  id: string;
  email: string;
  plan: string;
  seats: number;
  trialEndsAt: Date;
}

export async function sends(loops: LoopsEventsService, account: Account): Promise<void> {
  await loops.sendEvent({
    eventName: 'signup',
    email: account.email,
    userId: account.id,
    eventProperties: { plan: account.plan, seats: account.seats, trial: true, trialEndsAt: account.trialEndsAt },
    contactProperties: { plan: account.plan, seats: null, firstName: 'Ada', subscribed: true },
    mailingLists: { [MailingLists.productUpdates]: true, [MailingLists.beta]: false },
  });
  // A date may be an ISO string; an optional property may be given.
  loops.enqueueEvent({
    eventName: 'signup',
    email: account.email,
    eventProperties: { plan: 'pro', seats: 1, trial: false, trialEndsAt: '2026-12-01T00:00:00Z', coupon: 'XMAS' },
  });
  // No properties to give, or only optional ones.
  await loops.enqueueEventAsync({ eventName: 'accountDeleted', userId: account.id }, { idempotencyKey: 'k' });
  loops.enqueueEvent({ eventName: 'feedback', email: account.email });
  loops.enqueueEvent({ eventName: 'feedback', email: account.email, eventProperties: { comment: 'Great' } });
  // A body validated by ValidationPipe can't be checked at compile time: it says so, and the catalog checks it
  // at run time.
  loops.enqueueEvent(
    Object.assign(new SendEventDto(), { eventName: 'planChanged', email: account.email }) as LoopsEventInput,
  );
}

/** Contact properties and lists are the catalog's; a transactional email's data variables are its own. */
export async function contactsAndEmails(
  contacts: LoopsContactsService,
  transactional: LoopsTransactionalService,
): Promise<string | undefined> {
  const saved = await contacts.updateContact({
    email: 'ada@example.com',
    properties: { plan: 'pro', seats: null, firstName: 'Ada', subscribed: false },
    mailingLists: { [MailingLists.beta]: true },
  });
  await contacts.createContact({ email: 'ada@example.com', userId: 'u1', properties: { seats: 2 } });
  await contacts.updateMailingLists({ userId: 'u1' }, { [MailingLists.productUpdates]: false });
  const found = await contacts.findContact({ email: 'ada@example.com' });
  await contacts.deleteContact({ userId: found?.userId ?? 'u1' });
  await transactional.send({
    transactionalId: 'cwelcome',
    email: 'ada@example.com',
    dataVariables: { name: 'Ada', count: 1, items: [{ title: 'Book', price: 12 }] },
  });
  return saved.dryRun ? undefined : saved.id;
}

/** Events built apart from the call keep their checks through the exported types. */
export function planChanged(email: string, plan: string): LoopsEventInput {
  return { eventName: 'planChanged', email, eventProperties: { plan } };
}

export const names: LoopsEventName[] = ['signup', 'planChanged', 'accountDeleted', 'feedback'];

// No `any` reaches a typed app: not in the parameters, not in a mapper's context.
export const noAny: [
  IsAny<Parameters<LoopsEventsService['sendEvent']>[0]>,
  IsAny<LoopsEventInput>,
  IsAny<Parameters<typeof EmitLoopsEvent>[0]>,
] = [false, false, false];

@Controller('accounts')
export class AccountsController {
  @Post()
  @EmitLoopsEvent<Account>({
    eventName: 'signup',
    contact: ({ result }) => ({ email: result.email, userId: result.id }),
    eventProperties: ({ result }) => ({
      plan: result.plan,
      seats: result.seats,
      trial: true,
      trialEndsAt: result.trialEndsAt,
    }),
    contactProperties: ({ result }) => ({ plan: result.plan }),
    mailingLists: { [MailingLists.productUpdates]: true },
  })
  @EmitLoopsEvent('accountDeleted')
  @EmitLoopsEvent('feedback')
  @EmitLoopsEvent<Account, { params: { id: string } }>({
    eventName: 'planChanged',
    eventProperties: { plan: 'pro' },
    idempotencyKey: ({ request, result }) => `planChanged-${request?.params.id}-${result.plan}`,
    mode: 'await',
  })
  create(): Account {
    return { id: 'a', email: 'ada@example.com', plan: 'pro', seats: 1, trialEndsAt: new Date() };
  }

  @Post('unknown')
  @EmitLoopsEvent({
    eventName: 'planChanged',
    // Without a type argument, the result is unknown rather than any.
    eventProperties: ({ result }) => {
      const unknownResult: IsUnknown<typeof result> = true;
      return { plan: unknownResult ? String(result) : '' };
    },
  })
  other(): string {
    return 'pro';
  }
}
