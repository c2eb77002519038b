import { LoopsCompatibleServer } from '../../test/support/loops-server';
import { runDemo } from '../src/demo';
import { formatDelivery } from '../src/demo/format-demo';
import { WelcomeEmail } from '../src/transactional-emails';

const quiet = (): void => undefined;

describe('sample demo (npm run sample)', () => {
  it('without LOOPS_API_KEY: prints each event the local Loops server received, emails masked', async () => {
    const report = await runDemo({ env: {}, print: quiet });

    expect(report).toMatchObject({ mode: 'local', ok: true });
    expect(report.received.map((event) => event.body.eventName).sort()).toEqual(
      ['accountDeleted', 'planChanged', 'signup', 'signup', 'trialEnding', 'trialEnding'].sort(),
    );
    for (const eventName of ['signup', 'planChanged', 'trialEnding', 'accountDeleted']) {
      expect(report.lines).toContainEqual(expect.stringMatching(`^#\\d ${eventName}  \\(Idempotency-Key: \\S+\\)$`));
    }
    const output = report.lines.join('\n');
    expect(output).toContain('"email": "j***@example.com"');
    expect(output).toContain('"email": "s***@example.com"');
    expect(output).not.toMatch(/jane@|sam@/);
    expect(
      report.emails.map((email) => `${String(email.body.transactionalId)} ${String(email.body.email)}`).sort(),
    ).toEqual([`${WelcomeEmail.id} jane@example.com`, `${WelcomeEmail.id} sam@example.com`]);
    expect(report.emails[0].body.dataVariables).toEqual({ firstName: expect.any(String), plan: expect.any(String) });
    expect(report.lines).toContainEqual(
      expect.stringMatching(`^#\\d transactional ${WelcomeEmail.id}  \\(Idempotency-Key: welcome-\\S+\\)$`),
    );
    expect(report.lines.at(-1)).toBe(
      'OK: the 6 events and 2 transactional emails the requests should send arrived (signup ×2, planChanged, ' +
        'trialEnding ×2, accountDeleted; welcome email ×2).',
    );
  });

  it('without LOOPS_API_KEY: the local server sends signed webhooks, and the account changes; a forged one is refused', async () => {
    const report = await runDemo({ env: {}, print: quiet });

    expect(report.webhooks.map((webhook) => [webhook.eventName, webhook.status, webhook.emailStatus])).toEqual([
      ['email.hardBounced', 401, 'subscribed'],
      ['contact.unsubscribed', 204, 'unsubscribed'],
      ['email.hardBounced', 204, 'bounced'],
    ]);
    expect(report.lines).toContain(
      'Webhooks the local Loops server signed and sent to the app (POST /loops/webhooks):',
    );
    expect(report.lines).toContainEqual(
      expect.stringMatching(/^ {2}204 email\.hardBounced \(webhook-id msg_\w+\) {2}/),
    );
    expect(report.lines).toContain('      account emailStatus: "bounced"');
  });

  describe('with LOOPS_API_KEY', () => {
    // Stands in for Loops at LOOPS_BASE_URL.
    let loops: LoopsCompatibleServer;
    beforeAll(async () => {
      loops = await LoopsCompatibleServer.start({ apiKey: 'live-key' });
    });
    afterAll(() => loops.close());
    afterEach(() => loops.reset());

    it('talks to LOOPS_BASE_URL and prints the answer to each request', async () => {
      const report = await runDemo({ env: { LOOPS_API_KEY: 'live-key', LOOPS_BASE_URL: loops.baseUrl }, print: quiet });

      expect(report).toMatchObject({ mode: 'loops', ok: true, received: [], webhooks: [] });
      expect(loops.accepted).toHaveLength(8);
      // In the order Loops answered, which need not be the order of the requests.
      expect(report.deliveries.map((outcome) => formatDelivery(outcome).trim()).sort()).toEqual([
        'sent planChanged',
        'sent signup',
        'sent signup',
        `sent transactional ${WelcomeEmail.id}`,
        `sent transactional ${WelcomeEmail.id}`,
      ]);
      expect(report.lines).toContain('      {"sent":2,"failed":0}');
      expect(report.lines.join('\n')).not.toMatch(/jane@|sam@/);
      expect(report.lines.at(-1)).toBe('OK: every request got the answer expected, and Loops accepted every event.');
    });

    it('reports a failure when Loops refuses the events', async () => {
      const silenceNestLog = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const report = await runDemo({
          env: { LOOPS_API_KEY: 'wrong-key', LOOPS_BASE_URL: loops.baseUrl },
          print: quiet,
        });

        expect(report.ok).toBe(false);
        const summary = report.lines.at(-1);
        expect(summary).toMatch(/^FAILED: /);
        expect(summary).toContain('POST /jobs/trial-reminders answered 200, expected 200 with {"sent":2,"failed":0}');
        expect(summary).toMatch(/DELETE \/accounts\/\S+ answered 500, expected 204/);
        expect(summary).toContain('failed signup: ');
      } finally {
        silenceNestLog.mockRestore();
      }
    });
  });
});
