// Without a catalog: what a wrongly typed @EmitLoopsEvent() gives. Each line after a @ts-expect-error must fail to
// compile with the error it names (test/catalog-types.spec.ts). Type-checked with tsc, never run.
import { Controller, Post } from '@nestjs/common';
import { EmitLoopsEvent, type LoopsDeliveryOutcome } from 'nestjs-loops';
import { type Observable, of } from 'rxjs';

interface Account {
  id: string;
  email: string;
  plan: 'free' | 'pro';
}

@Controller()
export class WronglyTypedController {
  @Post('untyped')
  // @ts-expect-error -- 'result' is of type 'unknown'
  @EmitLoopsEvent({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plan: result.plan }) })
  untyped(): Account {
    return { id: 'a1', email: 'ada@example.com', plan: 'pro' };
  }

  @Post('mismatch')
  // @ts-expect-error -- Property 'email' is missing
  @EmitLoopsEvent<Account>({ eventName: 'planChanged', eventProperties: ({ result }) => ({ plan: result.plan }) })
  mismatch(): { id: string; plan: 'pro' } {
    return { id: 'a1', plan: 'pro' };
  }

  @Post('mismatch-async')
  // @ts-expect-error -- is not assignable
  @EmitLoopsEvent<Account>({ eventName: 'planChanged' })
  async mismatchAsync(): Promise<string> {
    return 'done';
  }

  @Post('mismatch-observable')
  // @ts-expect-error -- is not assignable
  @EmitLoopsEvent<Account>({ eventName: 'planChanged' })
  mismatchObservable(): Observable<string> {
    return of('done');
  }
}

/** An outcome has an error exactly when it can: never once sent, always once failed or dropped. */
export function reasonOf(outcome: LoopsDeliveryOutcome): string {
  if (outcome.status === 'sent') {
    // @ts-expect-error -- Property 'error' does not exist
    return outcome.error.message;
  }
  return outcome.error.message;
}
