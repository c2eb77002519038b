/**
 * One team, one rate limit: a burst of events, transactional emails and contact updates, three times what the team
 * may send in a second, all from one app, with faults on the way. Every event and email is delivered exactly once
 * (the server's audit), every contact update lands, Loops never answers 429, and no sliding second holds more
 * requests than the limit. Run under each idempotency rule Loops might follow.
 */
import { type LoopsContactSaved, LoopsContactsService, LoopsTransactionalService } from '../lib';
import { expectDeliveredExactlyOnce } from './support/exactly-once';
import { LOOPS_IDEMPOTENCY_RULES, LoopsCompatibleServer } from './support/loops-server';
import { burstContact, burstEmail, burstEvent, burstIds, bySend, limitedRequests } from './support/mixed-burst';
import { createLoopsTestingApp } from './support/loops-testing-app';
import { mulberry32 } from './support/seeded-random';

const LIMIT = 30;
const EACH = 30;

describe.each(LOOPS_IDEMPOTENCY_RULES)('a mixed burst, Loops following the %s idempotency rule', (idempotencyRule) => {
  let server: LoopsCompatibleServer;

  beforeEach(async () => {
    server = await LoopsCompatibleServer.start({ rateLimitPerSecond: LIMIT, idempotencyRule });
  });
  afterEach(() => server.close());

  it(`${EACH} events, ${EACH} emails and ${EACH} contact updates at once, ${LIMIT}/s: each once, 0 429s, 0 lost`, async () => {
    // Seeded faults: 503s, and requests Loops processes but whose answer never arrives.
    const random = mulberry32(20_261_123);
    server.respondWith(() => {
      const roll = random();
      if (roll < 0.06) return { kind: 'status', status: 503 };
      if (roll < 0.1) return { kind: 'accept-then-drop' };
      return undefined;
    });
    const { app, loops } = await createLoopsTestingApp(server, {
      rateLimit: { requestsPerSecond: LIMIT },
      retry: { attempts: 8, minDelayMs: 10, maxDelayMs: 100 },
      timeoutMs: 500,
      queue: { concurrency: 8 },
    });
    const transactional = app.get(LoopsTransactionalService);
    const contacts = app.get(LoopsContactsService);
    const failures: unknown[] = [];
    loops.deliveries$.subscribe((outcome) => outcome.status !== 'sent' && failures.push(outcome));
    transactional.deliveries$.subscribe((outcome) => outcome.status !== 'sent' && failures.push(outcome));
    try {
      const updates: Promise<LoopsContactSaved>[] = [];
      for (let index = 0; index < EACH; index++) {
        loops.enqueueEvent(burstEvent(index));
        transactional.enqueue(burstEmail(index));
        updates.push(contacts.updateContact(burstContact(index)));
      }
      const saved = await Promise.all(updates);
      expect(await loops.flush(60_000)).toBe(true);

      expect(failures).toEqual([]);
      expectDeliveredExactlyOnce(server, burstIds(EACH), bySend);
      const lost = saved
        .map((_, index) => index)
        .filter((index) => server.contacts.find({ email: `c-${index}@example.com` })?.burst !== index);
      expect(lost).toEqual([]);
      expect(server.contacts.all).toHaveLength(EACH);
      const requests = limitedRequests(server);
      expect(requests.filter((request) => request.status === 429)).toEqual([]);
      expect(server.maxInAnyWindow(1_000, requests)).toBeLessThanOrEqual(LIMIT);
      // The faults were met: the burst was not a clean run.
      expect(requests.filter((request) => request.status === 503).length).toBeGreaterThan(0);
      expect(requests.filter((request) => request.accepted && request.answeredAt === undefined).length).toBeGreaterThan(
        0,
      );
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe('with rateLimit: false', () => {
  it('the same burst collects 429s: what the shared limiter prevents', async () => {
    const server = await LoopsCompatibleServer.start({ rateLimitPerSecond: LIMIT });
    const { app, loops } = await createLoopsTestingApp(server, { rateLimit: false, retry: false });
    try {
      const contacts = app.get(LoopsContactsService);
      const transactional = app.get(LoopsTransactionalService);
      const updates: Promise<unknown>[] = [];
      for (let index = 0; index < EACH; index++) {
        loops.enqueueEvent(burstEvent(index));
        transactional.enqueue(burstEmail(index));
        updates.push(contacts.updateContact(burstContact(index)).catch(() => undefined));
      }
      await Promise.all(updates);
      await loops.flush();
      expect(limitedRequests(server).filter((request) => request.status === 429).length).toBeGreaterThan(0);
    } finally {
      await app.close();
      await server.close();
    }
  });
});
