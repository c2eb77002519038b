/**
 * An app logger that throws (a transport writing to a closed stream, say) must not cost an event its outcome, fail a
 * request, or leave a rejection unhandled: the line goes to a process warning instead.
 */
import { Controller, HttpCode, INestApplication, LoggerService, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  EmitLoopsEvent,
  type LoopsDeliveryOutcome,
  LoopsEventsService,
  LoopsModule,
  type LoopsModuleOptions,
} from '../../lib';
import { LoopsCompatibleServer } from '../support/loops-server';
import { TEST_API_KEY } from '../support/loops-testing-app';

/** Throws on every line of the module's contexts; Nest's own lines (routes mapped, app started) go through. */
class ThrowingLogger implements LoggerService {
  calls = 0;
  log(_message: unknown, context?: string): void {
    this.fail(context);
  }
  error(_message: unknown, ...rest: unknown[]): void {
    this.fail(rest.at(-1));
  }
  warn(_message: unknown, context?: string): void {
    this.fail(context);
  }
  private fail(context: unknown): void {
    if (typeof context !== 'string' || !context.startsWith('Loops')) return;
    this.calls++;
    throw new Error('log stream closed');
  }
}

@Controller()
class SignupController {
  @Post('signup')
  @HttpCode(200)
  @EmitLoopsEvent({
    eventName: 'signup',
    contact: () => {
      throw new Error('no contact here');
    },
  })
  signUp(): { ok: true } {
    return { ok: true };
  }
}

let server: LoopsCompatibleServer;
let app: INestApplication | undefined;
let warnings: jest.SpyInstance;
/** What the module handed to `process.emitWarning`, as text. */
function warningTexts(): string[] {
  return warnings.mock.calls.map(([warning]) => String(warning));
}

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  warnings = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  server.reset();
  warnings.mockRestore();
});

async function boot(logger: ThrowingLogger, options: Partial<LoopsModuleOptions> = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      LoopsModule.forRoot({
        apiKey: TEST_API_KEY,
        baseUrl: server.baseUrl,
        retry: { attempts: 1 },
        rateLimit: false,
        ...options,
      }),
    ],
    controllers: [SignupController],
  }).compile();
  app = moduleRef.createNestApplication({ logger });
  await app.init();
  const loops = app.get(LoopsEventsService);
  const outcomes: LoopsDeliveryOutcome[] = [];
  loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
  return { loops, outcomes };
}

describe('an app logger that throws', () => {
  it('still reports every outcome, answers the request, and turns the lines into process warnings', async () => {
    const logger = new ThrowingLogger();
    const { loops, outcomes } = await boot(logger);
    server.script({ kind: 'status', status: 400, body: { success: false, message: 'refused' } });
    loops.enqueueEvent({ eventName: 'digest', email: 'grace.hopper@example.com' });
    expect(await loops.flush(5_000)).toBe(true);
    await request(app!.getHttpServer()).post('/signup').expect(200);
    await loops.flush(5_000);

    expect(outcomes.map((outcome) => `${outcome.eventName} ${outcome.status}`)).toEqual([
      'digest failed',
      'signup dropped',
    ]);
    expect(logger.calls).toBeGreaterThanOrEqual(2);
    const texts = warningTexts();
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/log stream closed.*digest.*g\*\*\*@example\.com failed after 1 attempt/s),
        expect.stringMatching(
          /log stream closed.*"signup" from SignupController\.signUp was not sent: no contact here/s,
        ),
      ]),
    );
    expect(texts.join('\n')).not.toContain(TEST_API_KEY);
  });

  it('does not make a dry-run send fail', async () => {
    const logger = new ThrowingLogger();
    const { loops } = await boot(logger, { dryRun: true });
    await expect(loops.sendEvent({ eventName: 'digest', userId: 'u1' })).resolves.toMatchObject({ dryRun: true });
    expect(logger.calls).toBe(1);
    expect(warningTexts()).toEqual([expect.stringContaining('[dry run]')]);
  });

  it('shutdown still reports what it could not deliver', async () => {
    const logger = new ThrowingLogger();
    const { loops, outcomes } = await boot(logger, { shutdownTimeoutMs: 50 });
    server.respondWith(() => ({ kind: 'delay', ms: 60_000 }));
    loops.enqueueEvent({ eventName: 'digest', userId: 'u1' });
    loops.enqueueEvent({ eventName: 'digest', userId: 'u2' });
    await app!.close();
    app = undefined;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'failed']);
    expect(warningTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining('could not be delivered within shutdownTimeoutMs')]),
    );
  });
});
