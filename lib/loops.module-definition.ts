import {
  type ConfigurableModuleAsyncOptions,
  ConfigurableModuleBuilder,
  type ConfigurableModuleCls,
  type ConfigurableModuleHost,
  Inject,
  type Provider,
} from '@nestjs/common';
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

/**
 * Written out rather than inferred: an inferred type of `@nestjs/common` 12 (ESM) would be printed in the CommonJS
 * `.d.ts` as an `import()` with a `resolution-mode` attribute, which TypeScript before 5.3 cannot parse.
 */
type LoopsModuleHost = ConfigurableModuleHost<LoopsModuleOptions, 'forRoot', 'createLoopsOptions', LoopsModuleExtras>;

const host: LoopsModuleHost = new ConfigurableModuleBuilder<LoopsModuleOptions>({ moduleName: 'Loops' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createLoopsOptions')
  .setExtras<LoopsModuleExtras>({ isGlobal: true, extraProviders: [] }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
    providers: [...(definition.providers ?? []), ...(extras.extraProviders ?? [])],
  }))
  .build();

export const ConfigurableModuleClass: ConfigurableModuleCls<
  LoopsModuleOptions,
  'forRoot',
  'createLoopsOptions',
  LoopsModuleExtras
> = host.ConfigurableModuleClass;
export const LOOPS_MODULE_OPTIONS: string | symbol = host.MODULE_OPTIONS_TOKEN;

export type LoopsModuleAsyncOptions = ConfigurableModuleAsyncOptions<LoopsModuleOptions, 'createLoopsOptions'> &
  Partial<LoopsModuleExtras>;
export type LoopsModuleForRootOptions = LoopsModuleOptions & Partial<LoopsModuleExtras>;

/** What a `forRootAsync({ useClass })` or `useExisting` provider implements. */
export interface LoopsOptionsFactory {
  createLoopsOptions(): LoopsModuleOptions | Promise<LoopsModuleOptions>;
}

/** Injects the options exactly as given to `forRoot`/`forRootAsync`. */
export const InjectLoopsOptions = (): PropertyDecorator & ParameterDecorator => Inject(LOOPS_MODULE_OPTIONS);
