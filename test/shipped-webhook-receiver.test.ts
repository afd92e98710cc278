import type { Server } from 'node:http';
import { timestampedSignature } from '../activities/webhooks/sign-payload';
import { createReceiver } from '../scripts/webhook-receiver/receiver';

/** The receiver shipped in scripts/webhook-receiver, over real HTTP: what it accepts and what it refuses. */
describe('shipped webhook receiver', () => {
  const secret = 'whsec_current';
  const now = 1_700_000_000;
  const body = JSON.stringify({ id: 'evt_1', event: 'invoice.paid', created: now, livemode: false, data: { id: 'inv_1' } });
  const received: string[] = [];
  let server: Server;
  let url = '';

  beforeAll(async () => {
    const app = createReceiver({ secrets: [secret, 'whsec_previous'], onEvent: (e) => received.push(e.id), now: () => now });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  const post = (headers: Record<string, string>, payload: string | Buffer = body) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload }).then(
      (r) => r.status,
    );

  test('when the Settle-Signature is recent and made with either accepted secret, then the event is accepted', async () => {
    expect(await post({ 'settle-signature': timestampedSignature(body, secret, now - 100) })).toBe(200);
    expect(await post({ 'settle-signature': timestampedSignature(body, 'whsec_previous', now + 100) })).toBe(200);
    // A rotation's grace period: one v1 per secret, only one of them known here.
    expect(await post({ 'settle-signature': timestampedSignature(body, ['whsec_next', secret], now) })).toBe(200);
    expect(received).toEqual(['evt_1', 'evt_1', 'evt_1']);
  });

  test('when the signature is older or newer than the tolerance, then it is refused as a possible replay', async () => {
    expect(await post({ 'settle-signature': timestampedSignature(body, secret, now - 301) })).toBe(400);
    expect(await post({ 'settle-signature': timestampedSignature(body, secret, now + 301) })).toBe(400);
  });

  test('when the body, the secret or the header is wrong, then the answer is 400 and never 500', async () => {
    const good = timestampedSignature(body, secret, now);
    const mac = good.split('v1=')[1]!;
    expect(await post({ 'settle-signature': good }, body.replace('inv_1', 'inv_2'))).toBe(400);
    expect(await post({ 'settle-signature': timestampedSignature(body, 'whsec_other', now) })).toBe(400);
    // Only the seed-004 header: this receiver wants the timestamped one.
    expect(await post({ 'x-webhook-signature': mac })).toBe(400);
    for (const header of [
      '',
      ',',
      '=,=',
      't',
      `t=${now}`,
      `v1=${mac}`,
      `t=x,v1=${mac}`,
      `t=${now},v1=${mac.slice(3)}`,
      `t=${now},v1=%%`,
    ]) {
      expect({ header, status: await post({ 'settle-signature': header }) }).toEqual({ header, status: 400 });
    }
    expect(await post({ 'settle-signature': `t=${now},${'v1=ab,'.repeat(2000)}` })).toBe(400);
    expect(await post({})).toBe(400);
    // A correctly signed body that is not JSON is still the sender's mistake.
    expect(await post({ 'settle-signature': timestampedSignature('not json', secret, now) }, 'not json')).toBe(400);
    expect(await post({ 'settle-signature': good }, Buffer.alloc(2 * 1024 * 1024, 'a'))).toBe(413);
  });
});
