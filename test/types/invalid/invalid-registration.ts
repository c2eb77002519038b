// An app that registered something that is not a catalog (a plain object, widened to `string` types): every
// send then fails to compile against InvalidLoopsRegistration, whose one property says what to do, rather than
// falling back to loose typing unnoticed.
// Type-checked with tsc by test/catalog-types.spec.ts, never run.
import { EmitLoopsEvent, LoopsEventsService } from 'nestjs-loops';

export const catalog = { events: { signup: { plan: 'string' as string } } };

declare module 'nestjs-loops' {
  interface LoopsRegister {
    catalog: typeof catalog;
  }
}

export function send(loops: LoopsEventsService): void {
  // @ts-expect-error -- 'eventName' does not exist in type 'InvalidLoopsRegistration'.
  loops.enqueueEvent({ eventName: 'signup', email: 'ada@example.com', eventProperties: { plan: 'pro' } });
}

export class Controller {
  // @ts-expect-error -- Argument of type 'string' is not assignable to parameter of type 'InvalidLoopsRegistration'.
  @EmitLoopsEvent('signup')
  handler(): void {}
}
