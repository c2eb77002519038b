import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LoopsContactsService } from './contacts/loops-contacts.service';
import { ConfigurableModuleClass, LOOPS_MODULE_OPTIONS } from './loops.module-definition';
import { LoopsEventInterceptor } from './loops-event.interceptor';
import { LoopsEventsService } from './loops-events.service';
import { loopsProviders } from './loops-providers';
import { LoopsTransactionalService } from './transactional/loops-transactional.service';
import { HttpLoopsTransport } from './transport/http-loops-transport';

/**
 * `LoopsModule.forRoot(options)` / `LoopsModule.forRootAsync({ ... })`. Global unless `isGlobal: false`.
 */
@Module({
  // DiscoveryService finds the @OnLoopsWebhook() handlers.
  imports: [DiscoveryModule],
  providers: loopsProviders(HttpLoopsTransport),
  exports: [
    LoopsEventsService,
    LoopsTransactionalService,
    LoopsContactsService,
    LoopsEventInterceptor,
    LOOPS_MODULE_OPTIONS,
  ],
})
export class LoopsModule extends ConfigurableModuleClass {}
