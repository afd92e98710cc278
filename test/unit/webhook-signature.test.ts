import crypto from 'node:crypto';
import {
  bodySignature,
  timestampedSignature,
  verifySettleSignature,
  webhookHeaders,
} from '../../activities/webhooks/sign-payload';

/** Seed 004's verification code, verbatim: it re-serializes the parsed body with JSON.stringify. */
function verifyWebhook(payload: unknown, signature: string, secret: string) {
  const expected = crypto.createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

const secret = 'whsec_0123456789abcdef0123456789abcdef';
// Shaped like a stored event body: compact JSON straight from JSON.stringify.
const body = JSON.stringify({
  id: 'evt_2f0c5b0f8f0e4c1d9a7b6e55',
  event: 'invoice.paid',
  created: 1_700_000_000,
  livemode: false,
  data: { external_id: 'order_12345', amount_received: '50.00', metadata: { '2': 'x', note: 'café ✓ "quoted"' }, deposits: [] },
});

describe('webhook signatures', () => {
  test('when a receiver verifies X-Webhook-Signature with the seed code on the parsed body, then it is accepted', () => {
    const headers = webhookHeaders(body, [secret], 'evt_1', 1_700_000_000);
    expect(verifyWebhook(JSON.parse(body), headers['X-Webhook-Signature']!, secret)).toBe(true);
  });

  test('when the body or the secret differs, then the seed code rejects the signature', () => {
    const signature = bodySignature(body, secret);
    const tampered = { ...JSON.parse(body), data: { amount_received: '5000.00' } };
    expect(verifyWebhook(tampered, signature, secret)).toBe(false);
    expect(verifyWebhook(JSON.parse(body), signature, 'whsec_other')).toBe(false);
  });

  test('when the body is signed, then the signature is the hex HMAC-SHA256 of its exact bytes', () => {
    const expected = crypto.createHmac('sha256', secret).update(Buffer.from(body, 'utf8')).digest('hex');
    expect(bodySignature(body, secret)).toBe(expected);
  });

  test('when Settle-Signature is built, then it is t=<unix>,v1=<hmac of "t.body">', () => {
    const t = 1_700_000_123;
    const mac = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(timestampedSignature(body, secret, t)).toBe(`t=${t},v1=${mac}`);
  });

  test('when a Settle-Signature is checked within the tolerance, then it verifies; when stale, tampered or for another secret, then it does not', () => {
    const t = 1_700_000_000;
    const header = timestampedSignature(body, secret, t);
    expect(verifySettleSignature(header, body, secret, t + 60)).toBe(true);
    expect(verifySettleSignature(header, body, secret, t + 301)).toBe(false);
    expect(verifySettleSignature(header, `${body} `, secret, t)).toBe(false);
    expect(verifySettleSignature(header, body, 'whsec_other', t)).toBe(false);
    expect(verifySettleSignature(header.replace(`t=${t}`, `t=${t + 1}`), body, secret, t)).toBe(false);
  });

  test('when a rotated secret is in its grace period, then Settle-Signature carries a v1 for each secret and X-Webhook-Signature the new one', () => {
    const t = 1_700_000_000;
    const headers = webhookHeaders(body, ['whsec_new', secret], 'evt_1', t);
    const v1s = headers['Settle-Signature']!.split(',').filter((p) => p.startsWith('v1='));
    expect(v1s).toHaveLength(2);
    expect(verifySettleSignature(headers['Settle-Signature']!, body, secret, t)).toBe(true);
    expect(verifySettleSignature(headers['Settle-Signature']!, body, 'whsec_new', t)).toBe(true);
    expect(verifySettleSignature(headers['Settle-Signature']!, body, 'whsec_other', t)).toBe(false);
    expect(headers['X-Webhook-Signature']).toBe(bodySignature(body, 'whsec_new'));
  });

  test('when a Settle-Signature header is malformed, then it does not verify and nothing throws', () => {
    const t = 1_700_000_000;
    const mac = timestampedSignature(body, secret, t).split('v1=')[1]!;
    for (const header of [
      '',
      ',,,',
      '=',
      't=',
      'v1=',
      `t=${t}`,
      `v1=${mac}`,
      `t=abc,v1=${mac}`,
      `t=${t}.5,v1=${mac}`,
      `t=-${t},v1=${mac}`,
      `t=1e9,v1=${mac}`,
      `t=${t},v1=zz${mac.slice(2)}`,
      `t=${t},v1=${mac.slice(1)}`,
      `t=${t},v1=${mac}00`,
      `t=${'9'.repeat(400)},v1=${mac}`,
      'x'.repeat(100_000),
    ]) {
      expect(verifySettleSignature(header, body, secret, t)).toBe(false);
    }
  });

  test('when the delivery headers are built, then they carry the event id, content type and user agent', () => {
    expect(webhookHeaders(body, [secret], 'evt_1', 1)).toMatchObject({
      'Content-Type': 'application/json',
      'User-Agent': 'Settle-Webhooks/1',
      'Settle-Event-Id': 'evt_1',
    });
  });
});
