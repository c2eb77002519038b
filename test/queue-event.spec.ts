/**
 * `LoopsEventsService.queueEvent`, the interceptor's hand-over to the in-memory queue: the events of one turn of the
 * event loop join the queue together at its end, and nothing that reads the queue may miss them in the meantime.
 */
import {
  LoopsEventsService,
  type LoopsModuleOptions,
  LoopsQueueFullError,
  LoopsShutdownError,
  LoopsValidationError,
} from '../lib';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp | undefined;

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
});
afterAll(() => server.close());
afterEach(async () => {
  await testing?.app.close();
  testing = undefined;
  server.reset();
});

async function boot(options: Partial<LoopsModuleOptions> = {}): Promise<LoopsEventsService> {
  testing = await createLoopsTestingApp(server, options);
  return testing.loops;
}

/** Hands `userIds` over as the interceptor does, collecting what is refused. */
function handOver(loops: LoopsEventsService, userIds: string[], refused: unknown[]): void {
  for (const userId of userIds) {
    loops.queueEvent(
      { eventName: 'handedOver', userId },
      { idempotencyKey: `hand-${userId}`, onRefused: (error) => refused.push(error) },
    );
  }
}

const acceptedUserIds = (): unknown[] => server.accepted.map((accepted) => accepted.body.userId);

describe('queueEvent with the in-memory queue', () => {
  it('leaves the events for the end of the turn, then queues them in the order they came, each once', async () => {
    const loops = await boot();
    const refused: unknown[] = [];
    handOver(loops, ['u1', 'u2', 'u3'], refused);
    await new Promise((resolve) => setImmediate(resolve));
    await loops.flush();
    expect(acceptedUserIds()).toEqual(['u1', 'u2', 'u3']);
    expect(server.accepted.map((accepted) => accepted.idempotencyKey)).toEqual(['hand-u1', 'hand-u2', 'hand-u3']);
    expect(refused).toEqual([]);
  });

  it('pendingCount counts events handed over in this turn', async () => {
    const loops = await boot();
    handOver(loops, ['u1', 'u2'], []);
    expect(loops.pendingCount).toBe(2);
  });

  it('flush() called in the same turn waits for them', async () => {
    const loops = await boot();
    handOver(loops, ['u1', 'u2'], []);
    await expect(loops.flush()).resolves.toBe(true);
    expect(acceptedUserIds()).toEqual(['u1', 'u2']);
  });

  it('queueStatus() called in the same turn shows them', async () => {
    const loops = await boot();
    server.script({ kind: 'delay', ms: 200 }, { kind: 'delay', ms: 200 });
    handOver(loops, ['u1', 'u2'], []);
    const status = await loops.queueStatus();
    expect(status.waiting + status.active).toBe(2);
  });

  it('a shutdown that starts in the same turn delivers them instead of refusing them', async () => {
    const loops = await boot();
    const refused: unknown[] = [];
    handOver(loops, ['u1', 'u2'], refused);
    await testing?.app.close();
    testing = undefined;
    expect(acceptedUserIds()).toEqual(['u1', 'u2']);
    expect(refused).toEqual([]);
  });

  it('a refusal whose report throws at shutdown still lets the rest of the turn be delivered, then fails shutdown', async () => {
    const loops = await boot();
    handOver(loops, ['u1'], []);
    loops.queueEvent(
      { eventName: 'handedOver' },
      {
        onRefused: () => {
          throw new Error('the app logger broke');
        },
      },
    );
    handOver(loops, ['u3'], []);
    // The hook itself, in the same turn: app.close() awaits other hooks first, and the turn would end before it.
    await expect(loops.onApplicationShutdown()).rejects.toThrow('the app logger broke');
    expect(acceptedUserIds()).toEqual(['u1', 'u3']);
  });

  it('an event handed over after shutdown began is refused with LoopsShutdownError, not lost', async () => {
    const loops = await boot();
    await testing?.app.close();
    testing = undefined;
    const refused: unknown[] = [];
    handOver(loops, ['late'], refused);
    await new Promise((resolve) => setImmediate(resolve));
    expect(refused).toEqual([expect.any(LoopsShutdownError)]);
    expect(server.eventRequests()).toHaveLength(0);
  });

  it('an invalid event goes to onRefused with the rule it broke; the others of its turn are still queued', async () => {
    const loops = await boot();
    const refused: unknown[] = [];
    handOver(loops, ['u1'], refused);
    loops.queueEvent({ eventName: '', userId: 'u2' }, { onRefused: (error) => refused.push(error) });
    handOver(loops, ['u3'], refused);
    // Not validated yet: that happens at the end of the turn.
    expect(refused).toEqual([]);
    await loops.flush();
    expect(refused).toEqual([expect.any(LoopsValidationError)]);
    expect((refused[0] as LoopsValidationError).errors.map((issue) => issue.path)).toEqual(['eventName']);
    expect(acceptedUserIds()).toEqual(['u1', 'u3']);
  });

  it('an event the full queue refuses goes to onRefused with LoopsQueueFullError', async () => {
    const loops = await boot({ queue: { maxPending: 1 } });
    server.script({ kind: 'delay', ms: 100 });
    const refused: unknown[] = [];
    handOver(loops, ['u1', 'u2'], refused);
    await loops.flush();
    expect(refused).toEqual([expect.any(LoopsQueueFullError)]);
    expect(acceptedUserIds()).toEqual(['u1']);
  });
});
