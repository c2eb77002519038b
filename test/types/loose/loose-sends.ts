// An app without a registered catalog: the typing is as loose as before catalogs existed. Type-checked with tsc
// by test/catalog-types.spec.ts, never run.
import { Controller, Post } from '@nestjs/common';
import {
  EmitLoopsEvent,
  type LoopsEventInput,
  type LoopsEventName,
  LoopsEventsService,
  SendEventDto,
  type SendEventInput,
} from 'nestjs-loops';

type IsAny<T> = 0 extends 1 & T ? true : false;
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

@Controller()
export class LooseController {
  @Post()
  @EmitLoopsEvent('anyEvent')
  @EmitLoopsEvent({
    eventName: 'anotherEvent',
    eventProperties: ({ result }) => {
      // As before: an untyped mapper sees `any`.
      const resultIsAny: IsAny<typeof result> = true;
      return { value: resultIsAny ? result.anything : 0 };
    },
  })
  handler(): object {
    return {};
  }
}
