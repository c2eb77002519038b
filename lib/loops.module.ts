import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigurableModuleClass, LOOPS_MODULE_OPTIONS } from './loops.module-definition';
import { LoopsEventInterceptor } from './loops-event.interceptor';
import { LoopsEventsService } from './loops-events.service';
import { loopsProviders } from './loops-providers';
import { HttpLoopsTransport } from './transport/http-loops-transport';

/**
 * `LoopsModule.forRoot(options)` / `LoopsModule.forRootAsync({ ... })`. Global unless `isGlobal: false`.
 */
@Module({
  // DiscoveryService finds the @OnLoopsWebhook() handlers.
  imports: [DiscoveryModule],
  providers: loopsProviders(HttpLoopsTransport),
  exports: [LoopsEventsService, LoopsEventInterceptor, LOOPS_MODULE_OPTIONS],
})
export class LoopsModule extends ConfigurableModuleClass {}
