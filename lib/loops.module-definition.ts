import { ConfigurableModuleBuilder, Inject, type Provider } from '@nestjs/common';
import type { LoopsModuleOptions } from './interfaces/loops-module-options.interface';

export interface LoopsModuleExtras {
  /** Register the module globally, so `@EmitLoopsEvent()` works in every module. Default true. */
  isGlobal?: boolean;
  /**
   * Providers added to the module after its own: what `useFactory` injects, or a class of yours bound to
   * `LoopsBackgroundDelivery`, `LoopsRateLimiter` or `LoopsTransport` in place of the module's.
   */
  extraProviders?: Provider[];
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: LOOPS_MODULE_OPTIONS,
  OPTIONS_TYPE: LOOPS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LOOPS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LoopsModuleOptions>({ moduleName: 'Loops' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createLoopsOptions')
  .setExtras<LoopsModuleExtras>({ isGlobal: true, extraProviders: [] }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
    providers: [...(definition.providers ?? []), ...(extras.extraProviders ?? [])],
  }))
  .build();

export type LoopsModuleAsyncOptions = typeof LOOPS_ASYNC_OPTIONS_TYPE;
export type LoopsModuleForRootOptions = typeof LOOPS_OPTIONS_TYPE;

/** What a `forRootAsync({ useClass })` or `useExisting` provider implements. */
export interface LoopsOptionsFactory {
  createLoopsOptions(): LoopsModuleOptions | Promise<LoopsModuleOptions>;
}

/** Injects the options exactly as given to `forRoot`/`forRootAsync`. */
export const InjectLoopsOptions = (): PropertyDecorator & ParameterDecorator => Inject(LOOPS_MODULE_OPTIONS);
