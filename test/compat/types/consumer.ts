// Type-checked by compat.spec.ts as a user's file under each TypeScript module/moduleResolution setting,
// against the installed tarball. Not run.
import { HttpModule, HttpService } from '@nestjs/axios';
import { type DynamicModule, Module } from '@nestjs/common';
import {
  EmitLoopsEvent,
  LOOPS_MODULE_OPTIONS,
  LoopsError,
  LoopsEventsService,
  LoopsModule,
  type LoopsModuleOptions,
  type LoopsSendResult,
  LoopsValidationError,
} from 'nestjs-loops';

/** Fails to compile when `T` is `any`: a type that did not resolve degrades to `any` instead of erroring. */
type IsAny<T> = 0 extends 1 & T ? true : false;
export const notAny: [
  IsAny<typeof LoopsModule>,
  IsAny<ReturnType<typeof LoopsModule.forRoot>>,
  IsAny<ReturnType<typeof LoopsModule.forRootAsync>>,
  IsAny<LoopsSendResult>,
  IsAny<LoopsEventsService['sendEvent']>,
  IsAny<typeof LOOPS_MODULE_OPTIONS>,
] = [false, false, false, false, false, false];

const options: LoopsModuleOptions = { apiKey: 'key', baseUrl: 'http://127.0.0.1:3000/api/v1' };
export const sync: DynamicModule = LoopsModule.forRoot(options);
export const async: DynamicModule = LoopsModule.forRootAsync({ inject: [], useFactory: () => options });
// The app's HttpService hands over its axios instance: its axios types must be ours, whatever the module format.
export const throughHttpModule: DynamicModule = LoopsModule.forRootAsync({
  imports: [HttpModule],
  inject: [HttpService],
  useFactory: (http: HttpService) => ({ ...options, axiosInstance: http.axiosRef }),
});

@Module({ imports: [LoopsModule.forRoot({ dryRun: true, isGlobal: false })] })
export class AppModule {}

export class UsersController {
  @EmitLoopsEvent<{ email: string; plan: string }>({
    eventName: 'userSignedUp',
    eventProperties: ({ result }) => ({ plan: result.plan }),
  })
  signUp(): { email: string; plan: string } {
    return { email: 'ada@example.com', plan: 'pro' };
  }
}

export async function send(loops: LoopsEventsService): Promise<string> {
  try {
    const result = await loops.sendEvent({ eventName: 'userSignedUp', email: 'ada@example.com' });
    return result.idempotencyKey;
  } catch (error) {
    if (error instanceof LoopsValidationError) return error.errors.map((issue) => issue.path).join();
    if (error instanceof LoopsError) return error.message;
    throw error;
  }
}
