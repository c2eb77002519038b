import { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { LoopsEventsService, LoopsModule, LoopsModuleOptions } from '../../lib';
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
  options: Partial<LoopsModuleOptions> = {},
  metadata: Pick<ModuleMetadata, 'controllers' | 'providers' | 'imports'> = {},
  adapter?: AbstractHttpAdapter,
): Promise<LoopsTestingApp> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
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
  })
    .setLogger(logger)
    .compile();
  const app = adapter
    ? moduleRef.createNestApplication(adapter, { logger })
    : moduleRef.createNestApplication({ logger });
  await app.init();
  return { app, loops: app.get(LoopsEventsService), logger };
}
