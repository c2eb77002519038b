import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookVerifier } from '../../lib/webhooks/webhook-verifier';
import { newWebhookSecret } from './support/webhook-test-app';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const NOW_SECONDS = NOW / 1000;

/** Headers signed by the reference implementation of Standard Webhooks. */
function referenceHeaders(secret: string, id: string, seconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': new Webhook(secret).sign(id, new Date(seconds * 1000), body),
  };
}

describe('WebhookVerifier', () => {
  const secret = newWebhookSecret();
  const body = '{"eventName":"email.opened","eventTime":1734425918}';

  it('accepts signatures of the standardwebhooks package over 200 random bodies, ASCII or not', () => {
    const verifier = new WebhookVerifier([secret], 300);
    for (let index = 0; index < 200; index++) {
      const text = JSON.stringify({ eventName: 'x', note: randomBytes(index).toString('latin1'), emoji: '✉️ é' });
      const headers = referenceHeaders(secret, `msg_${index}`, NOW_SECONDS, text);
      expect(verifier.verify(headers, Buffer.from(text), NOW)).toEqual({
        ok: true,
        webhookId: `msg_${index}`,
        timestamp: NOW_SECONDS,
      });
    }
  });

  it('checks the raw bytes: the same JSON re-serialised with other spacing is refused', () => {
    const verifier = new WebhookVerifier([secret], 300);
    const headers = referenceHeaders(secret, 'msg_1', NOW_SECONDS, body);
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    expect(verifier.verify(headers, Buffer.from(reformatted), NOW)).toMatchObject({ ok: false });
  });

  it('takes the secret with or without whsec_', () => {
    const headers = referenceHeaders(secret, 'msg_1', NOW_SECONDS, body);
    for (const configured of [secret, secret.slice('whsec_'.length)]) {
      expect(new WebhookVerifier([configured], 300).verify(headers, Buffer.from(body), NOW).ok).toBe(true);
    }
  });

  it.each([
    [300, 300, true],
    [300, 301, false],
    [300, -300, true],
    [300, -301, false],
    [10, 11, false],
    [10, -11, false],
    [3600, 3000, true],
  ])('tolerance %i s: a timestamp %i s old is accepted: %s', (tolerance, secondsOld, accepted) => {
    const headers = referenceHeaders(secret, 'msg_1', NOW_SECONDS - secondsOld, body);
    expect(new WebhookVerifier([secret], tolerance).verify(headers, Buffer.from(body), NOW).ok).toBe(accepted);
  });

  it('accepts any one of several v1 signatures and ignores other versions and junk', () => {
    const verifier = new WebhookVerifier([secret], 300);
    const good = referenceHeaders(secret, 'msg_1', NOW_SECONDS, body);
    const others = `v1a,${good['webhook-signature'].slice(3)} v1,not-base64!! v1,${Buffer.alloc(32).toString('base64')}`;
    const headers = { ...good, 'webhook-signature': `${others} ${good['webhook-signature']}` };
    expect(verifier.verify(headers, Buffer.from(body), NOW).ok).toBe(true);
  });

  it('looks at no more than 10 signatures, so a header full of them costs little', () => {
    const verifier = new WebhookVerifier([secret], 300);
    const good = referenceHeaders(secret, 'msg_1', NOW_SECONDS, body);
    const decoys = Array.from({ length: 10 }, () => `v1,${randomBytes(32).toString('base64')}`).join(' ');
    const headers = { ...good, 'webhook-signature': `${decoys} ${good['webhook-signature']}` };
    expect(verifier.verify(headers, Buffer.from(body), NOW)).toEqual({
      ok: false,
      reason: expect.stringContaining('no signature matches'),
    });
  });

  it('accepts a signature made with any of the configured secrets', () => {
    const next = newWebhookSecret();
    const verifier = new WebhookVerifier([secret, next], 300);
    const headers = referenceHeaders(next, 'msg_1', NOW_SECONDS, body);
    expect(verifier.verify(headers, Buffer.from(body), NOW).ok).toBe(true);
  });

  it.each([
    ['webhook-id', 'msg 1', 'the webhook-id header is not 1 to 256 printable ASCII characters without spaces'],
    ['webhook-id', 'msg_é', 'the webhook-id header is not 1 to 256 printable ASCII characters without spaces'],
    ['webhook-timestamp', '1734425918.5', 'the webhook-timestamp header is not a Unix time in seconds'],
    ['webhook-timestamp', '-5', 'the webhook-timestamp header is not a Unix time in seconds'],
    ['webhook-signature', '', 'the webhook-signature header is missing'],
  ])('refuses %s %j: %s', (header, value, reason) => {
    const headers = { ...referenceHeaders(secret, 'msg_1', NOW_SECONDS, body), [header]: value };
    expect(new WebhookVerifier([secret], 300).verify(headers, Buffer.from(body), NOW)).toEqual({ ok: false, reason });
  });
});
