import { DynamicModule, Module } from '@nestjs/common';
import { LoopsCatalogVerifier } from './catalog/loops-catalog-verifier';
import { ConfigurableModuleClass, LOOPS_MODULE_OPTIONS, LoopsModuleAsyncOptions } from './loops.module-definition';
import { LoopsEventInterceptor } from './loops-event.interceptor';
import { LoopsEventsService } from './loops-events.service';
import { LOOPS_RESOLVED_OPTIONS, resolveLoopsOptions } from './loops-options';
import { HttpLoopsTransport } from './transport/http-loops-transport';
import { LoopsTransport } from './transport/loops-transport';

/**
 * `LoopsModule.forRoot(options)` / `LoopsModule.forRootAsync({ ... })`. Global unless `isGlobal: false`.
 */
@Module({
  providers: [
    { provide: LOOPS_RESOLVED_OPTIONS, useFactory: resolveLoopsOptions, inject: [LOOPS_MODULE_OPTIONS] },
    { provide: LoopsTransport, useClass: HttpLoopsTransport },
    LoopsEventsService,
    LoopsEventInterceptor,
    LoopsCatalogVerifier,
  ],
  exports: [LoopsEventsService, LoopsEventInterceptor, LOOPS_MODULE_OPTIONS],
})
export class LoopsModule extends ConfigurableModuleClass {
  static override forRootAsync({ extraProviders = [], ...options }: LoopsModuleAsyncOptions): DynamicModule {
    const definition = super.forRootAsync(options);
    return { ...definition, providers: [...(definition.providers ?? []), ...extraProviders] };
  }
}
