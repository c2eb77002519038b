import { WelcomeEmail } from '../transactional-emails';

export const JANE = 'jane@example.com';
export const SAM = 'sam@example.com';

/** A short trial, so that the trial-reminder job has accounts to remind right after they sign up. */
export const DEMO_TRIAL_DAYS = '2';

interface DemoStep {
  title: string;
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  expectedStatus: number;
  /** Fields the answer must have, where the status alone doesn't tell whether the step did its job. */
  expectedFields?: Record<string, unknown>;
}

export interface DemoCall extends DemoStep {
  status: number;
  /** The answer's JSON, its text if it isn't JSON, or undefined when it has no body. */
  response: unknown;
  ok: boolean;
}

export interface ExpectedEvent {
  eventName: string;
  email: string;
}

/** What Loops should receive from the requests of {@link runDemoRequests}, in no particular order. */
export const EXPECTED_EVENTS: readonly ExpectedEvent[] = [
  { eventName: 'signup', email: JANE },
  { eventName: 'signup', email: SAM },
  { eventName: 'planChanged', email: JANE },
  { eventName: 'trialEnding', email: JANE },
  { eventName: 'trialEnding', email: SAM },
  { eventName: 'accountDeleted', email: SAM },
];

export interface ExpectedEmail {
  transactionalId: string;
  email: string;
}

/** The transactional emails Loops should receive: a welcome email for each sign-up. */
export const EXPECTED_EMAILS: readonly ExpectedEmail[] = [
  { transactionalId: WelcomeEmail.id, email: JANE },
  { transactionalId: WelcomeEmail.id, email: SAM },
];

/** Takes the sample app at `appUrl` through two accounts' lives over HTTP; `onCall` hears of each answer. */
export async function runDemoRequests(appUrl: string, onCall: (call: DemoCall) => void): Promise<DemoCall[]> {
  const calls: DemoCall[] = [];
  const call = async (step: DemoStep): Promise<DemoCall> => {
    const answer = await fetch(new URL(step.path, appUrl), {
      method: step.method,
      headers: step.body === undefined ? {} : { 'content-type': 'application/json' },
      body: step.body === undefined ? undefined : JSON.stringify(step.body),
    });
    const response = parseBody(await answer.text());
    const done: DemoCall = {
      ...step,
      status: answer.status,
      response,
      ok: meetsExpectation(step, answer.status, response),
    };
    calls.push(done);
    onCall(done);
    return done;
  };

  const jane = await call({
    title: 'Jane signs up for Pro',
    method: 'POST',
    path: '/accounts',
    body: { email: JANE, firstName: 'Jane', plan: 'pro' },
    expectedStatus: 201,
  });
  const sam = await call({
    title: 'Sam signs up for Starter',
    method: 'POST',
    path: '/accounts',
    body: { email: SAM, firstName: 'Sam', plan: 'starter' },
    expectedStatus: 201,
  });
  await call({
    title: 'A sign-up with a bad email and an unknown field is refused, and sends nothing',
    method: 'POST',
    path: '/accounts',
    body: { email: 'not-an-email', firstName: 'Mallory', plan: 'pro', isAdmin: true },
    expectedStatus: 400,
  });
  await call({
    title: 'Jane moves to Team',
    method: 'PATCH',
    path: `/accounts/${idOf(jane)}/plan`,
    body: { plan: 'team' },
    expectedStatus: 200,
  });
  await call({
    title: 'A cron runs the trial-reminder job',
    method: 'POST',
    path: '/jobs/trial-reminders',
    expectedStatus: 200,
    expectedFields: { sent: 2, failed: 0 },
  });
  await call({
    title: 'Sam deletes his account; the answer waits until Loops has the event',
    method: 'DELETE',
    path: `/accounts/${idOf(sam)}`,
    expectedStatus: 204,
  });
  return calls;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function meetsExpectation(step: DemoStep, status: number, response: unknown): boolean {
  if (status !== step.expectedStatus) return false;
  const fields = Object.entries(step.expectedFields ?? {});
  return fields.every(([name, value]) => (response as Record<string, unknown> | undefined)?.[name] === value);
}

/** The id of the account a sign-up created; when the sign-up failed, the steps that use it fail visibly too. */
function idOf(signUp: DemoCall): string {
  const id = (signUp.response as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : 'missing-id';
}
