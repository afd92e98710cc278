import type { AuthContext } from './auth';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

/**
 * Most objects of a kind one merchant may have, so one account cannot grow the work every worker
 * and watcher carries: webhook endpoints (each multiplies every event into a delivery queue), and
 * test-mode objects that stay open (pending invoices, customers with permanently watched addresses).
 */
export interface ObjectCaps {
  /** Per merchant and mode, like Stripe's 16. */
  webhookEndpoints: number;
  openTestInvoices: number;
  testCustomers: number;
}

export const DEFAULT_OBJECT_CAPS: ObjectCaps = { webhookEndpoints: 16, openTestInvoices: 1000, testCustomers: 1000 };

type CappedKind = keyof ObjectCaps;

const COUNTS: Record<CappedKind, { sql: string; noun: string; code: string; testOnly: boolean }> = {
  webhookEndpoints: {
    sql: 'SELECT 1 FROM webhook_endpoints WHERE merchant_id = $1 AND livemode = $2 AND deleted_at IS NULL',
    noun: 'webhook endpoints',
    code: 'webhook_endpoint_limit_reached',
    testOnly: false,
  },
  openTestInvoices: {
    sql: "SELECT 1 FROM invoices WHERE merchant_id = $1 AND livemode = $2 AND status = 'pending'",
    noun: 'pending test-mode invoices',
    code: 'test_invoice_limit_reached',
    testOnly: true,
  },
  testCustomers: {
    sql: 'SELECT 1 FROM customers WHERE merchant_id = $1 AND livemode = $2',
    noun: 'test-mode customers',
    code: 'test_customer_limit_reached',
    testOnly: true,
  },
};

/** Every code requireUnderCap answers with (400 invalid_request_error), for the OpenAPI document. */
export const CAP_ERROR_CODES = Object.fromEntries(Object.entries(COUNTS).map(([k, v]) => [k, v.code])) as Record<
  CappedKind,
  string
>;

/**
 * Refuses to create one more object of `kind` once the merchant has the cap. Counted when the
 * request arrives (objects still being created are not yet counted), and never past the cap, so the
 * count costs at most `cap` index entries.
 */
export async function requireUnderCap(deps: ApiDeps, auth: AuthContext, kind: CappedKind): Promise<void> {
  const count = COUNTS[kind];
  if (count.testOnly && auth.livemode) return;
  const cap = deps.objectCaps?.[kind] ?? DEFAULT_OBJECT_CAPS[kind];
  const found = await deps.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${count.sql} LIMIT $3) capped`, [
    auth.merchantId,
    auth.livemode,
    cap,
  ]);
  if (found.rows[0]!.n >= cap) {
    throw ApiError.invalid(count.code, `This account already has ${cap} ${count.noun}, the most it may have`);
  }
}
