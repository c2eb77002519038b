import { HttpModule } from '@nestjs/axios';
import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigurableModuleClass, LOOPS_MODULE_OPTIONS, LoopsModuleAsyncOptions } from './loops.module-definition';
import { LoopsEventInterceptor } from './loops-event.interceptor';
import { LoopsEventsService } from './loops-events.service';
import { LOOPS_RESOLVED_OPTIONS, resolveLoopsOptions } from './loops-options';
import { HttpLoopsTransport } from './transport/http-loops-transport';
import { LoopsTransport } from './transport/loops-transport';
import { LOOPS_WEBHOOK_PROVIDERS } from './webhooks/loops-webhook.providers';

/**
 * `LoopsModule.forRoot(options)` / `LoopsModule.forRootAsync({ ... })`. Global unless `isGlobal: false`.
 */
@Module({
  // An axios instance of our own: interceptors an app adds to the global axios never see the API key.
  imports: [HttpModule.register({}), DiscoveryModule],
  providers: [
    { provide: LOOPS_RESOLVED_OPTIONS, useFactory: resolveLoopsOptions, inject: [LOOPS_MODULE_OPTIONS] },
    { provide: LoopsTransport, useClass: HttpLoopsTransport },
    LoopsEventsService,
    LoopsEventInterceptor,
    ...LOOPS_WEBHOOK_PROVIDERS,
  ],
  exports: [LoopsEventsService, LoopsEventInterceptor, LOOPS_MODULE_OPTIONS],
})
export class LoopsModule extends ConfigurableModuleClass {
  static override forRootAsync({ extraProviders = [], ...options }: LoopsModuleAsyncOptions): DynamicModule {
    const definition = super.forRootAsync(options);
    return { ...definition, providers: [...(definition.providers ?? []), ...extraProviders] };
  }
}
