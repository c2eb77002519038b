/** The `logLevels` option: each kind of line at the level chosen, or left out, and bad values refused at boot. */
import { Injectable } from '@nestjs/common';
import {
  defineLoopsEvents,
  LoopsConfigurationError,
  type LoopsLogLevels,
  type LoopsModuleOptions,
  OnLoopsWebhook,
} from '../../lib';
import { resolveLoopsOptions } from '../../lib/loops-options';
import { LoopsCompatibleServer } from '../support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp } from '../support/loops-testing-app';
import { buildLoopsWebhookPayload, postLoopsWebhook } from '../../lib/testing';
import type { CapturingLogger } from '../support/capturing-logger';
import { createWebhookTestApp } from '../webhooks/support/webhook-test-app';

let server: LoopsCompatibleServer;
const apps: LoopsTestingApp[] = [];

async function boot(options: Partial<LoopsModuleOptions>): Promise<LoopsTestingApp> {
  const testing = await createLoopsTestingApp(server, options);
  apps.push(testing);
  return testing;
}

/** The level of the one captured line that contains `text`. */
function levelOf(testing: { logger: CapturingLogger }, text: string): string | undefined {
  const lines = testing.logger.lines.filter((line) => line.text.includes(text));
  if (lines.length > 1) throw new Error(`${lines.length} lines contain "${text}"`);
  return lines[0]?.level;
}

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((testing) => testing.app.close()));
  server.reset();
});

const catalog = defineLoopsEvents({ events: { signup: {}, digest: {} } });

/** One line of each kind (but dry run), in one app. */
async function everyKind(testing: LoopsTestingApp): Promise<void> {
  const { loops } = testing;
  server.script({ kind: 'status', status: 400, body: { success: false, message: 'refused' } });
  loops.enqueueEvent({ eventName: 'digest', email: 'grace.hopper@example.com' });
  await loops.flush();
  await loops.sendEvent({ eventName: 'signup', userId: 'u1' }, { idempotencyKey: 'signup-u1' });
  loops.enqueueEvent({ eventName: 'signup', userId: 'u1' }, { idempotencyKey: 'signup-u1' });
  loops.reportDropped('signup', new Error('no contact'), 'AccountsController.signUp');
  loops.enqueueEvent({ eventName: 'signUp', userId: 'u2' });
  await loops.flush();
  // What shutdown could not deliver: a stalled request, cut short after shutdownTimeoutMs.
  server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
  loops.enqueueEvent({ eventName: 'digest', userId: 'u3' });
  await testing.app.close();
  apps.splice(apps.indexOf(testing), 1);
}

const TEXTS = {
  failed: 'for g***@example.com failed after 1 attempt(s)',
  deduplicated: '(signup-u1) was accepted earlier; not sent again',
  dropped: 'from AccountsController.signUp was not sent: no contact',
  catalogViolation: 'Loops event "signUp" breaks the event catalog (sent anyway)',
  queue: 'could not be delivered within shutdownTimeoutMs',
};

describe('logLevels', () => {
  it('by default: failed at error, dropped at warn, deduplicated at log, catalog at warn, queue at error', async () => {
    const testing = await boot({ catalog, catalogViolations: 'warn', shutdownTimeoutMs: 50 });
    await everyKind(testing);
    expect(Object.fromEntries(Object.entries(TEXTS).map(([kind, text]) => [kind, levelOf(testing, text)]))).toEqual({
      failed: 'error',
      deduplicated: 'log',
      dropped: 'warn',
      catalogViolation: 'warn',
      queue: 'error',
    });
  });

  it('puts each kind at the level chosen, and leaves out the kinds set to false', async () => {
    const testing = await boot({
      catalog,
      catalogViolations: 'warn',
      shutdownTimeoutMs: 50,
      logLevels: { failed: 'warn', deduplicated: false, dropped: 'debug', catalogViolation: 'error', queue: 'fatal' },
    });
    await everyKind(testing);
    expect(Object.fromEntries(Object.entries(TEXTS).map(([kind, text]) => [kind, levelOf(testing, text)]))).toEqual({
      failed: 'warn',
      deduplicated: undefined,
      dropped: 'debug',
      catalogViolation: 'error',
      queue: 'fatal',
    });
    // Masked at whatever level.
    expect(testing.logger.texts().join('\n')).not.toContain('grace.hopper@');
  });

  it('dry-run lines too', async () => {
    const testing = await boot({ dryRun: true, logLevels: { dryRun: 'verbose' } });
    await testing.loops.sendEvent({ eventName: 'signup', email: 'grace.hopper@example.com' });
    expect(levelOf(testing, '[dry run] Loops event "signup"')).toBe('verbose');
    expect(levelOf(testing, 'g***@example.com')).toBe('verbose');
  });

  it('the start-up check: verified at log, a problem at warn; each at the level chosen', async () => {
    const drift = 'Loops event catalog drift: event "digest"';
    server.account.seed({ eventPatterns: [{ eventName: 'signup' }, { eventName: 'digest' }] });
    expect(levelOf(await boot({ verify: 'warn', catalog }), 'checked against the account of team')).toBe('log');
    server.account.seed({ eventPatterns: [{ eventName: 'signup' }] });
    expect(levelOf(await boot({ verify: 'warn', catalog }), drift)).toBe('warn');
    expect(levelOf(await boot({ verify: 'warn', catalog, logLevels: { verifyProblem: 'error' } }), drift)).toBe(
      'error',
    );
    const rejected = await boot({ verify: 'warn', apiKey: 'sk_wrong', logLevels: { verifyProblem: 'debug' } });
    expect(levelOf(rejected, 'The Loops API key was rejected by Loops')).toBe('debug');
    // In the start-up check's own context, as before the option covered it.
    expect(rejected.logger.texts().find((text) => text.includes('The Loops API key'))).toContain('LoopsModule');
  });

  it.each<[string, LoopsLogLevels, Record<string, string | undefined>]>([
    ['by default', {}, { refused: 'warn', failed: 'error', unhandled: 'debug' }],
    [
      'as chosen',
      { webhookRefused: 'error', webhookFailed: 'fatal', webhookUnhandled: false },
      { refused: 'error', failed: 'fatal', unhandled: undefined },
    ],
  ])('webhooks %s: refused, failed, unhandled', async (_name, logLevels, expected) => {
    @Injectable()
    class FailingHandler {
      @OnLoopsWebhook('email.hardBounced')
      hardBounced(): void {
        throw new Error('bounce table for grace.hopper@example.com is locked');
      }
    }
    const webhooks = await createWebhookTestApp({
      platform: 'express',
      providers: [FailingHandler],
      loops: { logLevels },
    });
    try {
      await postLoopsWebhook(webhooks.app, buildLoopsWebhookPayload('email.hardBounced'), {
        secret: 'whsec_' + 'A'.repeat(32),
      });
      await postLoopsWebhook(webhooks.app, buildLoopsWebhookPayload('email.hardBounced'));
      await postLoopsWebhook(webhooks.app, buildLoopsWebhookPayload('email.delivered'));
      expect({
        refused: levelOf(webhooks, 'Loops webhook refused (401)'),
        failed: levelOf(webhooks, 'handler FailingHandler.hardBounced failed'),
        unhandled: levelOf(webhooks, 'has no handler; acknowledged'),
      }).toEqual(expected);
      // With its stack at error and fatal alike, masked, and in the webhooks' context.
      if (expected.failed) {
        expect(webhooks.logger.texts(expected.failed as never).join('\n')).toContain('at FailingHandler.hardBounced');
      }
      expect(webhooks.logger.texts().join('\n')).not.toContain('grace.hopper@');
      expect(webhooks.logger.texts().find((text) => text.includes('Loops webhook refused'))).toContain('LoopsWebhooks');
    } finally {
      await webhooks.app.close();
    }
  });

  it.each([
    [
      { failed: 'loud' },
      'logLevels.failed',
      "must be one of 'log', 'error', 'warn', 'debug', 'verbose', 'fatal' or false",
    ],
    [{ failed: true }, 'logLevels.failed', 'or false (got a boolean)'],
    [{ failed: 10n }, 'logLevels.failed', 'or false (got a bigint)'],
    [{ failures: 'warn' }, 'logLevels.failures', 'is not a kind of log line; the kinds are failed, dropped'],
    [{ toString: 'warn' }, 'logLevels.toString', 'is not a kind of log line'],
    ['warn', 'logLevels', 'must be an object'],
  ])('refuses %j, naming %s', (logLevels, option, rule) => {
    const resolving = () =>
      resolveLoopsOptions({ apiKey: 'k', logLevels: logLevels as LoopsModuleOptions['logLevels'] });
    expect(resolving).toThrow(LoopsConfigurationError);
    expect(resolving).toThrow(`Invalid LoopsModule option "${option}": `);
    expect(resolving).toThrow(rule);
  });

  it('describes a wrong value by its type, never its text: it may be the key, put in the wrong place', () => {
    const apiKey = 'sk_live_0123456789abcdef';
    const resolving = () =>
      resolveLoopsOptions({ apiKey, logLevels: { failed: apiKey } as unknown as LoopsModuleOptions['logLevels'] });
    expect(resolving).toThrow('Invalid LoopsModule option "logLevels.failed": ');
    expect(resolving).toThrow('(got a string)');
    expect(resolving).not.toThrow(apiKey);
  });

  it('takes a kind set to undefined as absent: its default level', () => {
    const resolved = resolveLoopsOptions({ apiKey: 'k', logLevels: { failed: undefined, dropped: 'debug' } });
    expect(resolved.logLevels).toMatchObject({ failed: 'error', dropped: 'debug' });
  });
});
