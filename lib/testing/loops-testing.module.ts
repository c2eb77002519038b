import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { LoopsModuleOptions } from '../interfaces/loops-module-options.interface';
import { LOOPS_MODULE_OPTIONS, type LoopsModuleExtras } from '../loops.module-definition';
import { LoopsEventInterceptor } from '../loops-event.interceptor';
import { LoopsEventsService } from '../loops-events.service';
import { loopsProviders } from '../loops-providers';
import { LoopsContactsService } from '../contacts/loops-contacts.service';
import { LoopsTransactionalService } from '../transactional/loops-transactional.service';
import { InMemoryLoopsTransport } from './in-memory-loops-transport';
import { LoopsTestRecorder } from './loops-test-recorder';

/**
 * The delivery options a test may set (the key and the URL are never used), and the webhook receiver's; and, as
 * `LoopsModule` takes them, `extraProviders`: a queue or rate limiter of the app's own keeps its place in tests.
 */
export type LoopsTestingModuleOptions = Pick<
  LoopsModuleOptions,
  'retry' | 'rateLimit' | 'queue' | 'timeoutMs' | 'shutdownTimeoutMs' | 'catalog' | 'catalogViolations' | 'webhooks'
> &
  Pick<LoopsModuleExtras, 'extraProviders'>;

/**
 * The real `LoopsEventsService`, `LoopsTransactionalService`, `LoopsContactsService` and `LoopsEventInterceptor` over
 * an in-memory transport: same validation, results and errors, nothing leaves the process. Global, like
 * `LoopsModule`.
 */
@Module({})
export class LoopsTestingModule {
  /** Retries and rate limiting are off unless asked for, so a scripted failure fails at once. */
  static forRoot({ extraProviders = [], ...options }: LoopsTestingModuleOptions = {}): DynamicModule {
    const moduleOptions: LoopsModuleOptions = {
      apiKey: 'loops-testing',
      retry: false,
      rateLimit: false,
      ...options,
    };
    return {
      module: LoopsTestingModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: LOOPS_MODULE_OPTIONS, useValue: moduleOptions },
        ...loopsProviders(InMemoryLoopsTransport),
        LoopsTestRecorder,
        ...extraProviders,
      ],
      exports: [
        LoopsEventsService,
        LoopsTransactionalService,
        LoopsContactsService,
        LoopsEventInterceptor,
        LoopsTestRecorder,
        LOOPS_MODULE_OPTIONS,
      ],
    };
  }
}
