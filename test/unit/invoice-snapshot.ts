import type { InvoiceSnapshot } from '../../domain/payments';

/** A pending 100-unit invoice (0 decimals) created at 2026-01-01T00:00Z, expiring an hour later. */
export function invoiceSnapshot(over: Partial<InvoiceSnapshot> = {}): InvoiceSnapshot {
  return {
    id: 'inv_1',
    merchantId: 'mer_1',
    livemode: false,
    network: 'local',
    currency: 'USDT',
    decimals: 0,
    amount: '100',
    externalId: null,
    callbackUrl: null,
    metadata: {},
    expiresInSeconds: 3600,
    monitorWindowSeconds: 86400,
    underpaymentToleranceBps: 0,
    requestFingerprint: 'f',
    requestId: 'r',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T01:00:00.000Z',
    monitorUntil: '2026-01-02T01:00:00.000Z',
    depositAddress: '0xabc',
    status: 'pending',
    amountReceived: '0',
    amountPending: '0',
    paidLate: false,
    paidAt: null,
    deposits: [],
    version: 1,
    ...over,
  };
}
