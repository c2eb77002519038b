import { NestFactory } from '@nestjs/core';
import { merge } from 'rxjs';
import {
  type LoopsDeliveryOutcome,
  LoopsEventsService,
  type LoopsTransactionalOutcome,
  LoopsTransactionalService,
} from 'nestjs-loops';
import { type AcceptedEvent, LoopsCompatibleServer } from '../../test/support/loops-server';
import { AppModule } from './app.module';
import {
  type DemoCall,
  DEMO_TRIAL_DAYS,
  EXPECTED_EMAILS,
  EXPECTED_EVENTS,
  runDemoRequests,
} from './demo/demo-requests';
import { type DemoWebhook, runDemoWebhooks, WEBHOOKS_PATH } from './demo/demo-webhooks';
import { findEmailProblems, findEventProblems } from './demo/find-event-problems';
import { WelcomeEmail } from './transactional-emails';
import {
  countNames,
  describeCallProblem,
  describeWebhookProblem,
  formatAcceptedEvent,
  formatCall,
  formatDelivery,
  formatWebhook,
} from './demo/format-demo';
import { type EnvVars, withEnv } from './demo/with-env';

/** The key the local Loops-compatible server expects. */
const LOCAL_API_KEY = 'test-key';

export interface DemoOptions {
  /** Where LOOPS_API_KEY and LOOPS_BASE_URL are read from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives the report, line by line. Default: stdout. */
  print?: (line: string) => void;
}

export interface DemoReport {
  /** `local`: no LOOPS_API_KEY, so a local Loops-compatible server stood in for Loops. */
  mode: 'local' | 'loops';
  ok: boolean;
  calls: DemoCall[];
  /** The events the local server accepted; empty against Loops, which doesn't tell. */
  received: AcceptedEvent[];
  /** The transactional emails the local server accepted; empty against Loops. */
  emails: AcceptedEvent[];
  /** How each event and transactional email the app queued in the background ended. */
  deliveries: (LoopsDeliveryOutcome | LoopsTransactionalOutcome)[];
  /** The signed webhooks the local server sent to the app; none against Loops. */
  webhooks: DemoWebhook[];
  lines: string[];
}

/**
 * `npm run sample`: boots the sample app, drives it over HTTP and reports what reached Loops. Without
 * LOOPS_API_KEY a local Loops-compatible server stands in for Loops, and the report shows what it received.
 */
export async function runDemo({
  env = process.env,
  print = (line) => process.stdout.write(`${line}\n`),
}: DemoOptions = {}): Promise<DemoReport> {
  const lines: string[] = [];
  const say = (...text: string[]): void => {
    lines.push(...text);
    text.forEach((line) => print(line));
  };
  const server = env.LOOPS_API_KEY ? undefined : await LoopsCompatibleServer.start();
  // Loops refuses a send that lacks one of the email's data variables: the local server does too.
  server?.transactionalEmails.seed([{ id: WelcomeEmail.id, dataVariables: [...WelcomeEmail.dataVariables] }]);
  try {
    const appEnv: EnvVars = server
      ? {
          LOOPS_API_KEY: LOCAL_API_KEY,
          LOOPS_BASE_URL: server.baseUrl,
          LOOPS_WELCOME_EMAIL_ID: undefined,
          TRIAL_DAYS: DEMO_TRIAL_DAYS,
          LOOPS_WEBHOOK_SECRET: server.webhooks.secret,
        }
      : {
          LOOPS_API_KEY: env.LOOPS_API_KEY,
          LOOPS_BASE_URL: env.LOOPS_BASE_URL,
          LOOPS_WELCOME_EMAIL_ID: env.LOOPS_WELCOME_EMAIL_ID,
          TRIAL_DAYS: DEMO_TRIAL_DAYS,
          LOOPS_WEBHOOK_SECRET: undefined,
        };
    say(
      server
        ? `No LOOPS_API_KEY set: the sample app sends its events and emails to a local Loops-compatible server (${server.baseUrl}).`
        : `LOOPS_API_KEY is set: the sample app sends its events to ${env.LOOPS_BASE_URL || 'Loops'}; ` +
            'the contacts it signs up are created in your audience, and get the welcome email that ' +
            'LOOPS_WELCOME_EMAIL_ID names (a published transactional email with the data variables firstName and plan).',
      `The app runs with TRIAL_DAYS=${DEMO_TRIAL_DAYS}, so the trial-reminder job has trials to remind.`,
      '',
      'Requests to the sample app:',
    );
    const sendWebhooks = server
      ? async (appUrl: string, calls: DemoCall[]): Promise<DemoWebhook[]> => {
          const jane = calls[0]?.response as { id?: string; email?: string } | undefined;
          if (!jane?.id || !jane.email) return [];
          say('', `Webhooks the local Loops server signed and sent to the app (POST ${WEBHOOKS_PATH}):`);
          return runDemoWebhooks(appUrl, server.webhooks, { id: jane.id, email: jane.email }, (webhook) =>
            say(...formatWebhook(webhook)),
          );
        }
      : undefined;
    const { calls, deliveries, webhooks } = await withEnv(appEnv, () =>
      driveSampleApp((call) => say(...formatCall(call)), sendWebhooks),
    );
    const accepted = server ? [...server.accepted] : [];
    const received = accepted.filter((event) => event.path.endsWith('/events/send'));
    const emails = accepted.filter((event) => event.path.endsWith('/transactional'));
    const problems = [
      ...calls.filter((call) => !call.ok).map(describeCallProblem),
      ...webhooks.filter((webhook) => !webhook.ok).map(describeWebhookProblem),
      ...(server && webhooks.length === 0 ? ['no webhook was sent: the sign-up they are about failed'] : []),
      ...deliveries.filter((outcome) => outcome.status !== 'sent').map((outcome) => formatDelivery(outcome).trim()),
      ...(server
        ? [...findEventProblems(EXPECTED_EVENTS, received), ...findEmailProblems(EXPECTED_EMAILS, emails)]
        : []),
    ];
    say('');
    if (server) {
      say(`What Loops received (${received.length} events, ${emails.length} transactional emails):`, '');
      [...received, ...emails].forEach((event, index) => say(...formatAcceptedEvent(event, index + 1)));
    } else {
      say('What the app queued in the background:', ...deliveries.map(formatDelivery), '');
    }
    const names = countNames(EXPECTED_EVENTS.map((event) => event.eventName));
    say(
      problems.length > 0
        ? `FAILED: ${problems.join('; ')}`
        : server
          ? `OK: the ${received.length} events and ${emails.length} transactional emails the requests should send ` +
            `arrived (${names}; welcome email ×${emails.length}).`
          : 'OK: every request got the answer expected, and Loops accepted every event.',
    );
    const ok = problems.length === 0;
    return { mode: server ? 'local' : 'loops', ok, calls, received, emails, deliveries, webhooks, lines };
  } finally {
    await server?.close();
  }
}

/**
 * Boots the sample app on a free port, runs the requests and then `sendWebhooks`, then closes it, which delivers
 * what is still queued.
 */
async function driveSampleApp(
  onCall: (call: DemoCall) => void,
  sendWebhooks?: (appUrl: string, calls: DemoCall[]) => Promise<DemoWebhook[]>,
): Promise<{ calls: DemoCall[]; deliveries: DemoReport['deliveries']; webhooks: DemoWebhook[] }> {
  // Warnings and errors only, so that the report isn't lost among Nest's start-up lines. The raw body is kept for
  // the webhook route, which checks Loops' signature over the exact bytes.
  const app = await NestFactory.create(AppModule, { logger: ['warn', 'error'], abortOnError: false, rawBody: true });
  const deliveries: DemoReport['deliveries'] = [];
  merge(app.get(LoopsEventsService).deliveries$, app.get(LoopsTransactionalService).deliveries$).subscribe((outcome) =>
    deliveries.push(outcome),
  );
  try {
    await app.listen(0, '127.0.0.1');
    const appUrl = await app.getUrl();
    const calls = await runDemoRequests(appUrl, onCall);
    const webhooks = (await sendWebhooks?.(appUrl, calls)) ?? [];
    return { calls, deliveries, webhooks };
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  runDemo().then(
    (report) => (process.exitCode = report.ok ? 0 : 1),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
