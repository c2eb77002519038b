import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Post } from '@nestjs/common';
import request from 'supertest';
import { firstValueFrom, toArray } from 'rxjs';
import { EmitLoopsEvent, LoopsContactsService, LoopsShutdownError, LoopsTransactionalService } from '../lib';
import { forkTs, killHard, nextMessage } from './support/child-process/fork-ts';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';
import { LoopsCompatibleServer } from './support/loops-server';
import { until } from './support/until';

/**
 * README, Shutdown: "On app.close(), the module stops accepting background events and drains the queue, for at most
 * shutdownTimeoutMs" ... "Keep shutdownTimeoutMs below your orchestrator's grace period (Kubernetes: 30 s by
 * default)". An awaited send the module makes for a request in flight (`@EmitLoopsEvent({ mode: 'await' })`, or
 * `LoopsTransactionalService.send` as in README's password reset) knows nothing of the shutdown: during an outage it
 * keeps retrying for up to sendTimeoutMs (60 s by default), Nest's HTTP server waits for that request before any
 * onApplicationShutdown runs, and only then does the drain start. With the defaults, app.close() takes 60 s + 10 s,
 * past a 30 s grace period: the orchestrator's SIGKILL then loses the in-memory queue with no report at all.
 */
const SHUTDOWN_TIMEOUT_MS = 300;
const SEND_TIMEOUT_MS = 8_000;

@Controller('accounts')
class AccountsController {
  constructor(
    private readonly transactional: LoopsTransactionalService,
    private readonly contacts: LoopsContactsService,
  ) {}

  @Post('delete')
  @EmitLoopsEvent({ eventName: 'accountDeleted', contact: () => ({ userId: 'route-user' }), mode: 'await' })
  remove(): { ok: true } {
    return { ok: true };
  }

  @Post('password-reset')
  async passwordReset(): Promise<{ ok: true }> {
    await this.transactional.send({ transactionalId: 'cm0passwordreset', email: 'ada@example.com' });
    return { ok: true };
  }

  @Post('plan')
  async changePlan(): Promise<{ ok: true }> {
    await this.contacts.updateContact({ email: 'ada@example.com', properties: { plan: 'pro' } });
    return { ok: true };
  }
}

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp | undefined;
afterEach(async () => {
  await testing?.app.close();
  await server.close();
});

it.each(['/accounts/delete', '/accounts/password-reset', '/accounts/plan'])(
  'app.close() during a Loops outage is not held for sendTimeoutMs by an awaited send of a request in flight (%s)',
  async (path) => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    // The outage: Loops takes the requests and never answers.
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    testing = await createLoopsTestingApp(
      server,
      {
        timeoutMs: 1_000,
        sendTimeoutMs: SEND_TIMEOUT_MS,
        shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
        retry: { attempts: 20, minDelayMs: 100, maxDelayMs: 100 },
      },
      { controllers: [AccountsController] },
    );
    await testing.app.listen(0, '127.0.0.1');
    const outcomes = firstValueFrom(testing.loops.deliveries$.pipe(toArray()));
    testing.loops.enqueueEvent({ eventName: 'invoicePaid', userId: 'queued-user' });
    const answered = request(testing.app.getHttpServer())
      .post(path)
      .then((response) => response.status);
    await until(() => server.requests.length >= 2, 'both sends in flight');
    const { logger } = testing;

    const started = Date.now();
    await testing.app.close();
    const took = Date.now() - started;
    testing = undefined;

    // The awaited send is cut short, and fails its request with a LoopsShutdownError; the background event is reported...
    expect((await outcomes).map((outcome) => outcome.status)).toEqual(['failed']);
    expect(await answered).toBe(500);
    expect(logger.texts('error')).toContainEqual(
      expect.stringContaining(`${LoopsShutdownError.name}: The app shut down before Loops could`),
    );
    // ...and the whole shutdown stays within what the shutdown options bound (twice shutdownTimeoutMs, plus 2 s),
    // not sendTimeoutMs (here 8 s; 60 s by default) on top of it.
    expect(took).toBeLessThan(2 * SHUTDOWN_TIMEOUT_MS + 2_000);
  },
  20_000,
);

/**
 * The consequence, in a real process: README's setup (enableShutdownHooks, shutdownTimeoutMs 500 ms, the other
 * options at their defaults), a grace period 6 times longer than shutdownTimeoutMs, SIGTERM during an outage while an
 * await-mode request is in flight. The orchestrator's SIGKILL comes before the drain has even started: five
 * background events end with neither a delivery nor a failed outcome nor a log line.
 */
describe('in a process stopped by SIGTERM, then SIGKILL after its grace period', () => {
  it('every background event is delivered or reported before the grace period ends', async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
    server.respondWith(() => ({ kind: 'delay', ms: 120_000 }));
    const out = join(mkdtempSync(join(tmpdir(), 'loops-grace-')), 'out.jsonl');
    const child = forkTs(join(__dirname, 'support', 'grace-period-app.ts'), {
      LOOPS_BASE_URL: server.baseUrl,
      OUT_FILE: out,
    });
    try {
      const { port, keys } = await nextMessage<{ type: 'ready'; port: number; keys: string[] }>(child, 'ready');
      void request(`http://127.0.0.1:${port}`)
        .post('/accounts/delete')
        .then(
          () => undefined,
          () => undefined,
        );
      await until(() => server.eventRequests().length >= 5, 'the sends in flight');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const gracePeriod = new Promise((resolve) => setTimeout(resolve, 6 * 500));
      await Promise.race([exited, gracePeriod]);
      await killHard(child);
      const lines = existsSync(out)
        ? readFileSync(out, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { outcome?: string; key?: string; message?: string })
        : [];
      const accepted = new Set(server.accepted.map((event) => event.idempotencyKey));
      const reported = new Set(lines.filter((line) => line.outcome).map((line) => line.key));
      const unaccounted = keys.filter((key) => !accepted.has(key) && !reported.has(key));
      expect(unaccounted).toEqual([]);
    } finally {
      await killHard(child);
    }
  }, 20_000);
});
