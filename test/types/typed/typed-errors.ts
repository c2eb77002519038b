// Calls that must NOT compile in an app that registered its catalog. Each `@ts-expect-error` names the error
// that must be reported on the line after it: test/catalog-types.spec.ts compiles this file once with the
// directives (tsc, which fails on a directive with no error) and once without them, comparing each reported
// error with the text after `--`. Type-checked only, never run.
import {
  EmitLoopsEvent,
  LoopsContactsService,
  LoopsEventsService,
  LoopsTransactionalService,
  SendEventDto,
} from 'nestjs-loops';
import { MailingLists } from './loops.catalog';

interface Account {
  email: string;
  plan: string;
  seats: number;
}

const signup = { plan: 'pro', seats: 1, trialEndsAt: new Date() };

export function sends(loops: LoopsEventsService): void {
  // @ts-expect-error -- Type '"signUp"' is not assignable to type '"signup" | "planChanged" | "accountDeleted" | "feedback"'. Did you mean '"signup"'?
  loops.enqueueEvent({ eventName: 'signUp', email: 'a@b.co' });
  // @ts-expect-error -- 'plam' does not exist in type '{ plan: string; }'
  loops.enqueueEvent({ eventName: 'planChanged', email: 'a@b.co', eventProperties: { plam: 'pro' } });
  // @ts-expect-error -- Property 'eventProperties' is missing
  loops.enqueueEvent({ eventName: 'planChanged', email: 'a@b.co' });
  // @ts-expect-error -- Property 'plan' is missing
  loops.enqueueEvent({ eventName: 'planChanged', email: 'a@b.co', eventProperties: {} });
  // @ts-expect-error -- Type 'number' is not assignable to type 'string'.
  loops.enqueueEvent({ eventName: 'planChanged', email: 'a@b.co', eventProperties: { plan: 3 } });
  // @ts-expect-error -- Type 'number' is not assignable to type 'string | Date'.
  void loops.sendEvent({ eventName: 'signup', eventProperties: { plan: 'a', seats: 1, trial: true, trialEndsAt: 1 } });
  // @ts-expect-error -- Type 'string' is not assignable to type 'boolean'.
  void loops.enqueueEventAsync({ eventName: 'signup', eventProperties: { ...signup, trial: 'y' } });
  // @ts-expect-error -- 'extra' does not exist in type '{ plan: string; seats: number; trial: boolean; trialEndsAt: string | Date; coupon?: string | undefined; }'
  void loops.sendEvent({ eventName: 'signup', eventProperties: { ...signup, trial: true, extra: 1 } });
  // @ts-expect-error -- 'eventProperties' does not exist in type
  loops.enqueueEvent({ eventName: 'accountDeleted', email: 'a@b.co', eventProperties: { reason: 'moved' } });
  // @ts-expect-error -- 'plann' does not exist in type
  loops.enqueueEvent({ eventName: 'accountDeleted', email: 'a@b.co', contactProperties: { plann: 'pro' } });
  // @ts-expect-error -- Type 'string' is not assignable to type 'number'.
  loops.enqueueEvent({ eventName: 'accountDeleted', email: 'a@b.co', contactProperties: { seats: 'two' } });
  // @ts-expect-error -- 'cl_unknown' does not exist in type
  loops.enqueueEvent({ eventName: 'accountDeleted', email: 'a@b.co', mailingLists: { cl_unknown: true } });
  // @ts-expect-error -- Type of computed property's value is 'string', which is not assignable to type 'boolean | undefined'.
  loops.enqueueEvent({ eventName: 'accountDeleted', email: 'a@b.co', mailingLists: { [MailingLists.beta]: 'yes' } });
  // @ts-expect-error -- Argument of type 'SendEventDto' is not assignable to parameter of type
  loops.enqueueEvent(new SendEventDto());
  const name: string = 'planChanged';
  // @ts-expect-error -- Type 'string' is not assignable to type '"signup" | "planChanged" | "accountDeleted" | "feedback"'.
  loops.enqueueEvent({ eventName: name, email: 'a@b.co', eventProperties: { plan: 'pro' } });
}

export function contactsAndEmails(contacts: LoopsContactsService, transactional: LoopsTransactionalService): void {
  // @ts-expect-error -- 'plann' does not exist in type
  void contacts.updateContact({ email: 'a@b.co', properties: { plann: 'pro' } });
  // @ts-expect-error -- Type 'string' is not assignable to type 'number'.
  void contacts.createContact({ email: 'a@b.co', properties: { seats: 'two' } });
  // @ts-expect-error -- 'cl_unknown' does not exist in type
  void contacts.updateMailingLists({ email: 'a@b.co' }, { cl_unknown: true });
  // @ts-expect-error -- Property 'email' is missing
  void contacts.createContact({ userId: 'u1' });
  // @ts-expect-error -- is not assignable to parameter of type 'LoopsContactIdentity'.
  void contacts.findContact({ email: 'a@b.co', userId: 'u1' });
  // @ts-expect-error -- Type 'boolean' is not assignable to type 'LoopsDataVariableValue'.
  void transactional.send({ transactionalId: 'c', email: 'a@b.co', dataVariables: { vip: true } });
}

export class Controller {
  // @ts-expect-error -- Argument of type '"signup"' is not assignable to parameter of type
  @EmitLoopsEvent('signup')
  // @ts-expect-error -- Argument of type '"signUp"' is not assignable to parameter of type
  @EmitLoopsEvent('signUp')
  // @ts-expect-error -- Type '"planChange"' is not assignable to type '"signup" | "planChanged" | "accountDeleted" | "feedback"'.
  @EmitLoopsEvent<Account>({ eventName: 'planChange', eventProperties: ({ result }) => ({ plan: result.plan }) })
  // @ts-expect-error -- Property 'plan' is missing in type '{ plam: string; }'
  @EmitLoopsEvent<Account>({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plam: result.plan }) })
  // @ts-expect-error -- Type 'number' is not assignable to type 'string'.
  @EmitLoopsEvent<Account>({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plan: result.seats }) })
  // @ts-expect-error -- 'result' is of type 'unknown'.
  @EmitLoopsEvent({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plan: result.plan }) })
  // @ts-expect-error -- 'eventProperties' does not exist in type
  @EmitLoopsEvent<Account>({ eventName: 'accountDeleted', eventProperties: { reason: 'moved' } })
  // @ts-expect-error -- 'plann' does not exist in type
  @EmitLoopsEvent<Account>({ eventName: 'accountDeleted', contactProperties: { plann: 'x' } })
  handler(): Account {
    return { email: 'ada@example.com', plan: 'pro', seats: 1 };
  }
}
