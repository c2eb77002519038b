// Without a catalog: what a wrongly typed @EmitLoopsEvent() gives. Each line after a @ts-expect-error must fail to
// compile with the error it names (test/catalog-types.spec.ts). Type-checked with tsc, never run.
import { Controller, Post } from '@nestjs/common';
import { EmitLoopsEvent } from 'nestjs-loops';

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
}
