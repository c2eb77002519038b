import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

/** `npm run sample:start`: the sample app, talking to Loops, until it is stopped. */
async function bootstrap(): Promise<void> {
  // Waits for .env to be read, so that a key kept there counts too.
  await ConfigModule.envVariablesLoaded;
  if (!process.env.LOOPS_API_KEY) {
    console.error(
      'LOOPS_API_KEY is not set. `npm run sample:start` sends real events to Loops: set LOOPS_API_KEY ' +
        '(and LOOPS_BASE_URL if you need another endpoint, LOOPS_WELCOME_EMAIL_ID for the welcome email) in the ' +
        'environment or in .env.\n' +
        'To try the sample without a Loops account, run `npm run sample`: it uses a local Loops-compatible server.',
    );
    process.exitCode = 1;
    return;
  }
  // rawBody: the webhook route verifies Loops' signature over the exact bytes received.
  const app = await NestFactory.create(AppModule, { rawBody: true });
  // On SIGTERM/SIGINT Nest closes the app, and LoopsModule delivers the queued events before it exits.
  app.enableShutdownHooks();
  const port = Number(process.env.PORT || 3000);
  await app.listen(port);
  const url = `http://localhost:${port}`;
  const json = `-H 'content-type: application/json'`;
  new Logger('Sample').log(
    [
      `Listening on ${url}. Try:`,
      `  curl -X POST ${url}/accounts ${json} -d '{"email":"jane@example.com","firstName":"Jane","plan":"pro"}'`,
      `  curl -X PATCH ${url}/accounts/<id>/plan ${json} -d '{"plan":"team"}'`,
      `  curl -X POST ${url}/jobs/trial-reminders`,
      `  curl -X DELETE ${url}/accounts/<id>`,
      process.env.LOOPS_WEBHOOK_SECRET
        ? `Loops webhooks are received at POST ${url}/loops/webhooks (set it in Loops' Settings -> Webhooks).`
        : 'Set LOOPS_WEBHOOK_SECRET to receive Loops webhooks at POST /loops/webhooks.',
    ].join('\n'),
  );
}

void bootstrap();
