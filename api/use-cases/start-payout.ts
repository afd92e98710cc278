import { readPayoutItems, savePayoutProjection } from '../../activities/db/payouts';
import { payoutDecidedUpdate } from '../../domain/payout-messages';
import {
  type PayoutInput,
  type PayoutItemInput,
  type PayoutItemState,
  type PayoutKind,
  type PayoutSnapshot,
  pendingItems,
} from '../../domain/payouts';
import type { Currency, NetworkConfig } from '../../domain/networks';
import type { AuthContext } from '../auth';
import { awaitWorkflowWithin } from '../await-workflow';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { requireSameRequest } from '../idempotency';
import { startMoneyOutWorkflow } from '../start-money-out-workflow';

/** An unmined item transfer is offered for replacement after this many block times (at least a minute). */
const STUCK_AFTER_BLOCKS = 20;
const STUCK_AFTER_MIN_MS = 60_000;

export interface PayoutRequest {
  id: string;
  kind: PayoutKind;
  invoiceId: string | null;
  network: NetworkConfig;
  currency: Currency;
  items: PayoutItemInput[];
  fingerprint: string;
  /** Shown in the Temporal UI. */
  summary: string;
}

export const payoutWorkflowId = (id: string) => `payout-${id}`;

/**
 * Starts a payout's (or refund's) workflow and awaits its reservation decision, like a withdrawal:
 * the workflow reserves the money itself, a retried request with the same derived id finds the same
 * payout, and a slow decision is answered with the id and status `pending` (`delayed`), never with
 * an error inviting a retry that could pay twice.
 */
export async function startPayout(
  deps: ApiDeps,
  auth: AuthContext,
  req: PayoutRequest,
): Promise<{ snapshot: PayoutSnapshot; items: PayoutItemState[]; created: boolean; delayed: boolean }> {
  const createdAt = new Date().toISOString();
  const handle = deps.temporal.workflow.getHandle<(input: PayoutInput) => Promise<PayoutSnapshot>>(payoutWorkflowId(req.id));
  // A payout recorded before is never started again, even after Temporal's retention dropped it.
  let snapshot = await readPayout(deps, req.id);
  if (!snapshot) {
    const input: PayoutInput = {
      id: req.id,
      kind: req.kind,
      invoiceId: req.invoiceId,
      merchantId: auth.merchantId,
      livemode: auth.livemode,
      network: req.network.id,
      currency: req.currency.symbol,
      contract: req.currency.contract,
      decimals: req.currency.decimals,
      amount: req.items.reduce((sum, i) => sum + BigInt(i.amount), 0n).toString(),
      nativeSymbol: req.network.native.symbol,
      items: req.items,
      createdAt,
      requiredConfirmations: req.network.confirmations,
      blockTimeMs: req.network.blockTimeMs,
      stuckAfterMs: Math.max(req.network.blockTimeMs * STUCK_AFTER_BLOCKS, STUCK_AFTER_MIN_MS),
      requestFingerprint: req.fingerprint,
    };
    const { closed } = await startMoneyOutWorkflow(deps, auth, {
      workflowType: 'payoutWorkflow',
      workflowId: payoutWorkflowId(req.id),
      network: req.network.id,
      summary: req.summary,
      input,
    });
    if (closed) {
      // Closed without a projection: it was refused at reservation, and its result says why.
      snapshot = await handle.result();
    } else {
      const decided = await awaitWorkflowWithin(deps, () => handle.executeUpdate(payoutDecidedUpdate));
      if (!decided.done) {
        const pending: PayoutSnapshot = { ...input, status: 'pending', failureReason: null, completedAt: null, version: 1 };
        // Readable while the worker catches up; the reservation's write supersedes it.
        await savePayoutProjection(deps.pool, pending);
        return { snapshot: pending, items: pendingItems(input.items), created: true, delayed: true };
      }
      snapshot = decided.value;
    }
  }
  requireSameRequest(snapshot, auth, req.fingerprint, {
    code: 'idempotency_key_reused',
    message: 'This Idempotency-Key was already used with different parameters',
  });
  if (snapshot.status === 'rejected') throw rejection(snapshot, req);
  const items = await readPayoutItems(deps.pool, snapshot.id);
  const stored = items.length ? items : pendingItems(snapshot.items);
  if (snapshot.status === 'pending') return { snapshot, items: stored, created: false, delayed: true };
  return { snapshot, items: stored, created: snapshot.createdAt === createdAt, delayed: false };
}

/** The stored payout (or refund) of this id, if its reservation or an announcement wrote one. */
export async function readPayout(deps: Pick<ApiDeps, 'pool'>, id: string): Promise<PayoutSnapshot | undefined> {
  const row = await deps.pool.query<{ snapshot: PayoutSnapshot }>('SELECT snapshot FROM payouts WHERE id = $1', [id]);
  return row.rows[0]?.snapshot;
}

function rejection(snapshot: PayoutSnapshot, req: PayoutRequest): ApiError {
  if (snapshot.failureReason === 'refund_exceeds_received') {
    return ApiError.invalid(
      'refund_exceeds_received',
      'The refund and the earlier refunds would return more than the invoice received',
      'amount',
    );
  }
  return ApiError.invalid(
    'insufficient_balance',
    `The available ${req.currency.symbol} balance on ${req.network.id} does not cover the ${snapshot.kind}`,
    req.kind === 'refund' ? 'amount' : 'items',
  );
}
