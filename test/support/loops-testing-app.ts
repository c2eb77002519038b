import { INestApplication, ModuleMetadata, type Provider, Type } from '@nestjs/common';
import { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { LoopsEventsService, LoopsModule, LoopsModuleOptions, LoopsTransport } from '../../lib';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../../lib/loops-options';
import { HttpLoopsTransport } from '../../lib/transport/http-loops-transport';
import { CapturingLogger } from './capturing-logger';
import { LoopsCompatibleServer } from './loops-server';

export const TEST_API_KEY = 'test-key';

export interface LoopsTestingApp {
  app: INestApplication;
  loops: LoopsEventsService;
  logger: CapturingLogger;
}

/**
 * A Nest app with `LoopsModule.forRoot` pointed at `server`, its log captured. Retries default to
 * quick backoffs here so that fault tests finish fast; each test overrides what it is about.
 */
export async function createLoopsTestingApp(
  server: LoopsCompatibleServer,
  options: Partial<LoopsModuleOptions> & { extraProviders?: Provider[] } = {},
  metadata: Pick<ModuleMetadata, 'controllers' | 'providers' | 'imports'> & {
    /** Replaces the module's transport, e.g. with one that wraps the real one to misbehave on purpose. */
    transport?: (real: HttpLoopsTransport) => LoopsTransport;
  } = {},
  adapter?: AbstractHttpAdapter,
): Promise<LoopsTestingApp> {
  const logger = new CapturingLogger();
  const builder = Test.createTestingModule({
    imports: [
      LoopsModule.forRoot({
        apiKey: TEST_API_KEY,
        baseUrl: server.baseUrl,
        retry: { attempts: 4, minDelayMs: 10, maxDelayMs: 50 },
        rateLimit: false,
        ...options,
      }),
      ...(metadata.imports ?? []),
    ],
    controllers: metadata.controllers as Type[] | undefined,
    providers: metadata.providers,
  });
  const { transport } = metadata;
  if (transport) {
    builder.overrideProvider(LoopsTransport).useFactory({
      factory: (options: ResolvedLoopsOptions) => transport(new HttpLoopsTransport(options)),
      inject: [LOOPS_RESOLVED_OPTIONS],
    });
  }
  const moduleRef = await builder.setLogger(logger).compile();
  const app = adapter
    ? moduleRef.createNestApplication(adapter, { logger })
    : moduleRef.createNestApplication({ logger });
  await app.init();
  return { app, loops: app.get(LoopsEventsService), logger };
}
