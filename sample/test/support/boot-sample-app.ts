import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CapturingLogger } from '../../../test/support/capturing-logger';
import { LoopsCompatibleServer } from '../../../test/support/loops-server';
import { AppModule } from '../../src/app.module';
import { type EnvVars, withEnv } from '../../src/demo/with-env';

export interface SampleApp {
  app: INestApplication;
  logger: CapturingLogger;
}

/**
 * The sample's AppModule, configured through the environment as in production, pointed at `server`.
 * Settings from the developer's shell are cleared so that they can't leak in.
 */
export async function bootSampleApp(server: LoopsCompatibleServer, env: EnvVars = {}): Promise<SampleApp> {
  const logger = new CapturingLogger();
  const vars = {
    LOOPS_API_KEY: 'test-key',
    LOOPS_BASE_URL: server.baseUrl,
    TRIAL_DAYS: undefined,
    LOOPS_WEBHOOK_SECRET: server.webhooks.secret,
    LOOPS_WELCOME_EMAIL_ID: undefined,
    ...env,
  };
  const app = await withEnv(vars, async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .setLogger(logger)
      .compile();
    return moduleRef.createNestApplication({ logger, rawBody: true });
  });
  await app.init();
  return { app, logger };
}
