// An app without a registered catalog: the typing is as loose as before catalogs existed. Type-checked with tsc
// by test/catalog-types.spec.ts, never run.
import { Controller, Post } from '@nestjs/common';
import { type Observable, of } from 'rxjs';
import {
  EmitLoopsEvent,
  LoopsContactsService,
  type LoopsEventInput,
  type LoopsEventName,
  LoopsEventsService,
  SendEventDto,
  type SendEventInput,
} from 'nestjs-loops';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const sameAsBefore: [
  Equal<LoopsEventInput, SendEventInput | SendEventDto>,
  Equal<Parameters<LoopsEventsService['sendEvent']>[0], SendEventInput | SendEventDto>,
  Equal<LoopsEventName, string>,
] = [true, true, true];

export async function sends(loops: LoopsEventsService, eventName: string): Promise<void> {
  await loops.sendEvent({ eventName, email: 'ada@example.com', eventProperties: { anything: 1, at: new Date() } });
  loops.enqueueEvent({ eventName: 'signUp', userId: 'u1', contactProperties: { whatever: null } });
  loops.enqueueEvent(Object.assign(new SendEventDto(), { eventName: 'x', email: 'ada@example.com' }));
  await loops.enqueueEventAsync({ eventName: 'y', email: 'ada@example.com', mailingLists: { any_list: true } });
}

export async function contacts(service: LoopsContactsService): Promise<void> {
  await service.updateContact({ userId: 'u1', properties: { anything: 1, at: new Date(), gone: null } });
  await service.updateMailingLists({ email: 'ada@example.com' }, { any_list: true });
}

interface Account {
  id: string;
  email: string;
  plan: 'free' | 'pro';
}

@Controller()
export class LooseController {
  @Post()
  @EmitLoopsEvent('anyEvent')
  @EmitLoopsEvent({
    eventName: 'anotherEvent',
    eventProperties: ({ result }) => {
      // Without a type argument a mapper sees `unknown`, never `any`.
      const resultIsUnknown: Equal<typeof result, unknown> = true;
      return { known: resultIsUnknown, kind: typeof result };
    },
  })
  handler(): object {
    return {};
  }

  // The handler's result, as given to the decorator, whether returned, resolved or the values of an Observable.
  @Post('sync')
  @EmitLoopsEvent<Account>({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plan: result.plan }) })
  sync(): Account {
    return { id: 'a1', email: 'ada@example.com', plan: 'pro' };
  }

  @Post('async')
  @EmitLoopsEvent<Account>({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plan: result.plan }) })
  async promised(): Promise<Account> {
    return { id: 'a1', email: 'ada@example.com', plan: 'pro' };
  }

  @Post('observable')
  @EmitLoopsEvent<Account, { params: { id: string } }>({
    eventName: 'planChanged',
    idempotencyKey: ({ request, result }) => `${request?.params.id}-${result.plan}`,
  })
  observed(): Observable<Account> {
    return of({ id: 'a1', email: 'ada@example.com', plan: 'pro' });
  }
}
