import { createHash } from 'node:crypto';
import type { CreateWithdrawalBody } from '../../domain/api-schemas';
import { derivedId, randomId } from '../../domain/ids';
import { workflowIds } from '../../domain/payments';
import { withdrawalDecidedUpdate, withdrawalSnapshotQuery } from '../../domain/withdrawal-messages';
import type { WithdrawalInput, WithdrawalSnapshot } from '../../domain/withdrawals';
import { createWithdrawalStore } from '../../activities/db/withdrawals';
import type { AuthContext } from '../auth';
import { awaitWorkflowWithin } from '../await-workflow';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { requireSameRequest } from '../idempotency';
import { startMoneyOutWorkflow } from '../start-money-out-workflow';
import { readProjection } from '../read-projection';
import { parsePositiveAmount, resolveCurrency, resolveNetwork } from '../request-money';
import { parseRecipient, requireExternalDestination, requireMinimumWithdrawal } from '../withdrawal-rules';

/** An unmined withdrawal transfer is re-sent with higher fees after this many block times (at least a minute). */
const STUCK_AFTER_BLOCKS = 20;
const STUCK_AFTER_MIN_MS = 60_000;

/**
 * Creates a withdrawal by starting its workflow and awaiting the workflow's balance decision. The
 * workflow reserves the money itself (one locked DB transaction), so the API holds no balance
 * logic. The id is derived from the Idempotency-Key: a retried request finds the same workflow.
 *
 * Once the workflow is started the withdrawal will happen, so a slow decision is answered with the
 * id and status `pending` (`delayed`), never with an error inviting a retry: a client without an
 * Idempotency-Key (seed 000's) would create, and pay, a second withdrawal.
 */
export async function createWithdrawal(
  deps: ApiDeps,
  auth: AuthContext,
  body: CreateWithdrawalBody,
  idempotencyKey: string | undefined,
): Promise<{ snapshot: WithdrawalSnapshot; created: boolean; delayed: boolean }> {
  const network = resolveNetwork(deps, auth, body.network);
  const currency = resolveCurrency(deps, network, body.currency, 'withdrawn');
  const amount = parsePositiveAmount(body.amount, currency.decimals);
  requireMinimumWithdrawal(amount, currency);
  const toAddress = parseRecipient(body.to_address);
  await requireExternalDestination(deps, network, toAddress);

  const fingerprint = createHash('sha256')
    .update(JSON.stringify([body.amount, toAddress, network.id, currency.symbol]))
    .digest('hex');
  const id = idempotencyKey
    ? derivedId('wd', auth.merchantId, String(auth.livemode), 'idempotency-key', idempotencyKey)
    : randomId('wd');
  const workflowId = workflowIds.withdrawal(id);
  const createdAt = new Date().toISOString();
  const handle = deps.temporal.workflow.getHandle(workflowId);
  // A withdrawal recorded before is never started again, even after Temporal's retention dropped its
  // workflow: a new run would find the reservation and send the money a second time.
  const recorded = await readProjection<WithdrawalSnapshot>(deps.pool, 'withdrawals', id);
  let snapshot: WithdrawalSnapshot;
  if (recorded) {
    snapshot = await handle.query(withdrawalSnapshotQuery).catch(() => recorded);
  } else {
    const input: WithdrawalInput = {
      id,
      merchantId: auth.merchantId,
      livemode: auth.livemode,
      network: network.id,
      currency: currency.symbol,
      contract: currency.contract,
      decimals: currency.decimals,
      amount: amount.toString(),
      nativeSymbol: network.native.symbol,
      toAddress,
      createdAt,
      requiredConfirmations: network.confirmations,
      blockTimeMs: network.blockTimeMs,
      stuckAfterMs: network.stuckAfterMs ?? Math.max(network.blockTimeMs * STUCK_AFTER_BLOCKS, STUCK_AFTER_MIN_MS),
      requestFingerprint: fingerprint,
    };
    const { closed } = await startMoneyOutWorkflow(deps, auth, {
      workflowType: 'withdrawalWorkflow',
      workflowId,
      network: network.id,
      summary: `Withdraw ${body.amount} ${currency.symbol} on ${network.id} to ${toAddress}`,
      input,
    });
    if (closed) {
      snapshot = await handle.query(withdrawalSnapshotQuery);
    } else {
      const decided = await awaitWorkflowWithin(deps, () => handle.executeUpdate(withdrawalDecidedUpdate));
      if (!decided.done) {
        const pending = pendingSnapshot(input);
        // Listed and readable while the worker catches up; the workflow's own saves supersede it.
        await createWithdrawalStore(deps.pool).saveWithdrawal(pending);
        return { snapshot: pending, created: true, delayed: true };
      }
      snapshot = decided.value;
    }
  }
  requireSameRequest(snapshot, auth, fingerprint, reusedKey);
  if (snapshot.status === 'rejected') {
    throw ApiError.invalid(
      'insufficient_balance',
      `The available ${currency.symbol} balance on ${network.id} does not cover ${body.amount}`,
      'amount',
    );
  }
  // A withdrawal announced as pending that the balance check then refused is reported as such.
  if (snapshot.status === 'pending') return { snapshot, created: false, delayed: true };
  return { snapshot, created: snapshot.createdAt === createdAt, delayed: false };
}

const reusedKey = {
  code: 'idempotency_key_reused',
  message: 'This Idempotency-Key was already used with different parameters',
};

/** What the workflow's state is before its first step; the same version the workflow starts from. */
function pendingSnapshot(input: WithdrawalInput): WithdrawalSnapshot {
  return { ...input, status: 'pending', txHash: null, failureReason: null, completedAt: null, version: 1 };
}
