import { checkoutToken, invoiceIdOfToken } from '../../api/checkout/checkout-token';
import { format, messagesFor } from '../../api/checkout/messages';
import { en } from '../../api/checkout/messages/en';
import { es } from '../../api/checkout/messages/es';
import { RateLimiter } from '../../api/checkout/rate-limit';
import { logoTypeOf } from '../../activities/db/merchants';
import { amountDue, checkoutPhase, paymentUri } from '../../domain/checkout';
import type { InvoiceSnapshot } from '../../domain/payments';
import { invoiceSnapshot } from './invoice-snapshot';

const invoice = invoiceSnapshot;

describe('checkout phase', () => {
  test.each([
    [{}, 'waiting', 100n],
    [{ amountReceived: '40' }, 'partially_paid', 60n],
    [{ amountReceived: '40', amountPending: '20' }, 'partially_paid', 40n],
    [{ amountReceived: '40', amountPending: '60' }, 'confirming', 0n],
    [{ status: 'paid', amountReceived: '100' }, 'paid', 0n],
    [{ status: 'overpaid', amountReceived: '120' }, 'paid', 0n],
    [{ status: 'paid', amountReceived: '100', paidLate: true }, 'paid_late', 0n],
    [{ status: 'expired' }, 'expired', 100n],
    [{ status: 'underpaid', amountReceived: '30' }, 'underpaid', 70n],
  ] as const)('when the invoice is %j, then the page shows %s with %s still due', (over, phase, due) => {
    const s = invoice(over as Partial<InvoiceSnapshot>);
    expect(checkoutPhase(s)).toBe(phase);
    expect(amountDue(s)).toBe(due);
  });

  test('when what is on its way is within the tolerance, then the shopper is only waiting for confirmations', () => {
    expect(checkoutPhase(invoice({ underpaymentToleranceBps: 100, amountPending: '99' }))).toBe('confirming');
    expect(checkoutPhase(invoice({ underpaymentToleranceBps: 100, amountPending: '98' }))).toBe('partially_paid');
  });
});

describe('EIP-681 payment URI', () => {
  test('when the invoice is in a token, then the URI is a transfer call on the token contract', () => {
    expect(paymentUri({ chainId: 56, contract: '0x55d398326f99059fF775485246999027B3197955', to: '0xAbC', amount: 5n })).toBe(
      'ethereum:0x55d398326f99059fF775485246999027B3197955@56/transfer?address=0xAbC&uint256=5',
    );
  });
  test('when the invoice is in the native coin, then the URI is a value transfer to the address', () => {
    expect(paymentUri({ chainId: 1, contract: null, to: '0xAbC', amount: 10n ** 18n })).toBe(
      'ethereum:0xAbC@1?value=1000000000000000000',
    );
  });
});

describe('checkout token', () => {
  const id = 'inv_0123456789abcdef01234567';
  test('when a token is checked with the secret it was made with, then it names its invoice', () => {
    expect(invoiceIdOfToken('s'.repeat(32), checkoutToken('s'.repeat(32), id))).toBe(id);
  });
  test('when a token was made with another secret, for another id, or is malformed, then it names nothing', () => {
    const token = checkoutToken('s'.repeat(32), id);
    expect(invoiceIdOfToken('t'.repeat(32), token)).toBeUndefined();
    expect(invoiceIdOfToken('s'.repeat(32), token.replace(id, 'inv_0123456789abcdef01234568'))).toBeUndefined();
    for (const bad of ['', id, `${id}.`, '.abc', 'not-an-id.abc']) expect(invoiceIdOfToken('s'.repeat(32), bad)).toBeUndefined();
  });
});

describe('checkout messages', () => {
  test('when Accept-Language is parsed, then the best language we have wins by q-value, else English', () => {
    expect(messagesFor('es-MX,es;q=0.9').lang).toBe('es');
    expect(messagesFor('de-DE, es;q=0.8, en;q=0.5').lang).toBe('es');
    expect(messagesFor('en;q=0.4, es;q=0.6').lang).toBe('es');
    expect(messagesFor('es;q=0, fr').lang).toBe('en');
    expect(messagesFor(undefined).lang).toBe('en');
  });
  test('when a catalogue is filled, then every placeholder of English exists in Spanish too', () => {
    const placeholders = (o: unknown): string[] =>
      typeof o === 'string' ? (o.match(/\{\w+\}/g) ?? []).sort() : Object.values(o as object).flatMap(placeholders);
    expect(placeholders(es)).toEqual(placeholders(en));
    expect(format(en.phase.partially_paid.detail, { paid: '4.00', due: '6.00', currency: 'USDT' })).toBe(
      'We have 4.00 USDT. Send 6.00 USDT more to the same address.',
    );
  });
});

describe('rate limiter', () => {
  test('when a client goes over the limit, then it waits until its window ends, and others are unaffected', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 60_000, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([0, 0, 0]);
    now = 15_000;
    expect(limiter.take('a')).toBe(45);
    now = 60_000;
    expect(limiter.take('a')).toBe(0);
  });
});

describe('logo type', () => {
  test('when a file is checked, then PNG, JPEG and WebP are recognised by content and SVG is refused', () => {
    expect(logoTypeOf(Buffer.from('89504e470d0a1a0a0000', 'hex'))).toBe('image/png');
    expect(logoTypeOf(Buffer.from('ffd8ffe000', 'hex'))).toBe('image/jpeg');
    expect(logoTypeOf(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(logoTypeOf(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'))).toBeUndefined();
  });
});
