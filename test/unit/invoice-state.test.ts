import { invoiceSnapshot } from './invoice-snapshot';
import { applyDepositUpdate, evaluate } from '../../workflows/invoice-state';

const base = invoiceSnapshot();
const before = new Date('2026-01-01T00:30:00.000Z');
const after = new Date('2026-01-01T02:00:00.000Z');
const dep = (id: string, status: 'detected' | 'confirming' | 'completed' | 'failed', amount: string, detectedAt = before) => ({
  depositId: id,
  currency: 'USDT',
  status,
  amount,
  txHash: `0x${id}`,
  detectedAt: detectedAt.toISOString(),
});

describe('invoice state', () => {
  test('when deposits are in flight, then they count as pending, not received', () => {
    const s = applyDepositUpdate(base, dep('a', 'confirming', '60'));
    expect(s).toMatchObject({ amountReceived: '0', amountPending: '60' });
    expect(evaluate(s, before).events).toEqual([]);
  });

  test('when a completed deposit reports an older in-flight status again, then the late update is ignored', () => {
    const done = applyDepositUpdate(base, dep('a', 'completed', '60'));
    expect(applyDepositUpdate(done, dep('a', 'confirming', '60'))).toBe(done);
  });

  test('when a coin other than the invoice currency arrives, then it does not count towards the invoice', () => {
    const eth = { ...dep('a', 'completed', '100'), currency: 'ETH' };
    expect(applyDepositUpdate(base, eth)).toBe(base);
  });

  test('when a reorged deposit is detected again, then it counts as in flight again', () => {
    const failed = applyDepositUpdate(base, dep('a', 'failed', '60'));
    expect(applyDepositUpdate(failed, dep('a', 'confirming', '60')).amountPending).toBe('60');
  });

  test('when a deposit fails after confirming, then it no longer counts', () => {
    const s = applyDepositUpdate(applyDepositUpdate(base, dep('a', 'confirming', '60')), dep('a', 'failed', '60'));
    expect(s).toMatchObject({ amountReceived: '0', amountPending: '0' });
  });

  test('when the full amount completes, then the invoice is paid once', () => {
    const paid = evaluate(applyDepositUpdate(base, dep('a', 'completed', '100')), before);
    expect(paid.snapshot.status).toBe('paid');
    expect(paid.events).toEqual(['invoice.paid']);
    expect(evaluate(paid.snapshot, before).events).toEqual([]);
  });

  test('when a paid invoice receives more, then it becomes overpaid', () => {
    const paid = evaluate(applyDepositUpdate(base, dep('a', 'completed', '100')), before).snapshot;
    const more = evaluate(applyDepositUpdate(paid, dep('b', 'completed', '1')), before);
    expect(more.snapshot.status).toBe('overpaid');
    expect(more.events).toEqual(['invoice.overpaid']);
  });

  test('when expiry passes with nothing received, then it expires; with part received, it is underpaid', () => {
    expect(evaluate(base, after).events).toEqual(['invoice.expired']);
    const partial = applyDepositUpdate(base, dep('a', 'completed', '10'));
    expect(evaluate(partial, after).snapshot.status).toBe('underpaid');
  });

  test('when part of the amount mined before expiry is only reported after the invoice expired, then it becomes underpaid; a late part leaves it expired', () => {
    const expired = evaluate(base, after).snapshot;
    const onTime = { ...dep('a', 'completed', '10', after), blockTimestamp: before.toISOString() };
    const reported = evaluate(applyDepositUpdate(expired, onTime), after, { underpaidAfterExpiry: true });
    expect(reported.snapshot.status).toBe('underpaid');
    expect(reported.events).toEqual(['invoice.underpaid']);
    expect(evaluate(reported.snapshot, after, { underpaidAfterExpiry: true }).events).toEqual([]);
    const late = { ...dep('b', 'completed', '10', after), blockTimestamp: after.toISOString() };
    expect(evaluate(applyDepositUpdate(expired, late), after, { underpaidAfterExpiry: true }).events).toEqual([]);
    // Workflows that expired before the rule existed keep their recorded outcome.
    expect(evaluate(applyDepositUpdate(expired, onTime), after).events).toEqual([]);
  });

  test('when money detected only after expiry completes the payment, then the invoice is paid late', () => {
    const expired = evaluate(base, after).snapshot;
    const late = evaluate(applyDepositUpdate(expired, dep('a', 'completed', '100', after)), after);
    expect(late.snapshot).toMatchObject({ status: 'paid', paidLate: true });
  });

  test('when a payment mined before expiry is only detected after it, then the invoice is paid on time, not late', () => {
    const mined = { ...dep('a', 'completed', '100', after), blockTimestamp: before.toISOString() };
    const { snapshot } = evaluate(applyDepositUpdate(base, mined), after);
    expect(snapshot).toMatchObject({ status: 'paid', paidLate: false });
  });

  test('when a payment mined before expiry is still confirming at expiry, then the invoice does not expire', () => {
    const mined = { ...dep('a', 'confirming', '100', after), blockTimestamp: before.toISOString() };
    expect(evaluate(applyDepositUpdate(base, mined), after).events).toEqual([]);
  });

  test('when a payment is mined after expiry, then it is late even if the watcher saw it early', () => {
    const mined = { ...dep('a', 'completed', '100', before), blockTimestamp: after.toISOString() };
    expect(evaluate(applyDepositUpdate(base, mined), after).snapshot).toMatchObject({ status: 'paid', paidLate: true });
  });
});
