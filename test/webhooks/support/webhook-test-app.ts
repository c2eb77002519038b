import { INestApplication, ModuleMetadata, Provider } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { LoopsModule, type LoopsModuleOptions, type LoopsWebhooksOptions } from '../../../lib';
import { CapturingLogger } from '../../support/capturing-logger';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export interface WebhookTestAppOptions {
  platform: Platform;
  /** Merged over `{ secret: <a fresh one> }`; `false`: no `webhooks` option at all. */
  webhooks?: Partial<LoopsWebhooksOptions> | false;
  /** More module options (e.g. `delivery`). */
  loops?: Partial<LoopsModuleOptions>;
  providers?: Provider[];
  /** `app.setGlobalPrefix()` before the app starts. */
  globalPrefix?: string;
  /** Default true: what the README asks apps to set. */
  rawBody?: boolean;
  /** Register the module with `forRootAsync` instead of `forRoot`. */
  async?: boolean;
  imports?: ModuleMetadata['imports'];
}

export interface WebhookTestApp {
  app: INestApplication;
  logger: CapturingLogger;
  secret: string;
}

/** A real Nest app on Express or Fastify with `LoopsModule` receiving webhooks (dry run: no API key needed). */
export async function createWebhookTestApp(options: WebhookTestAppOptions): Promise<WebhookTestApp> {
  const secret = newWebhookSecret();
  const moduleOptions: LoopsModuleOptions = {
    dryRun: true,
    ...options.loops,
    webhooks: options.webhooks === false ? undefined : { secret, ...options.webhooks },
  };
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      options.async
        ? LoopsModule.forRootAsync({ useFactory: async () => moduleOptions })
        : LoopsModule.forRoot(moduleOptions),
      ...(options.imports ?? []),
    ],
    providers: options.providers ?? [],
  })
    .setLogger(logger)
    .compile();
  const appOptions = { logger, rawBody: options.rawBody ?? true };
  const app =
    options.platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), appOptions)
      : moduleRef.createNestApplication(appOptions);
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.init();
  if (options.platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, logger, secret };
}
