import { createHash, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { CreateInvoiceBody } from '../../domain/api-schemas';
import { derivedId, randomId } from '../../domain/ids';
import { invoiceReadyUpdate, invoiceSnapshotQuery } from '../../domain/messages';
import { type InvoiceInput, type InvoiceSnapshot, workflowIds } from '../../domain/payments';
import { SA } from '../../domain/search-attributes';
import type { AuthContext } from '../auth';
import { awaitWorkflow } from '../await-workflow';
import { checkoutUrl } from '../checkout/checkout-token';
import { checkoutSettings } from '../checkout/settings';
import type { ApiDeps } from '../deps';
import { requireSameRequest } from '../idempotency';
import { readProjection } from '../read-projection';
import { parsePositiveAmount, resolveCurrency, resolveNetwork } from '../request-money';
import { requireDeliverableUrl } from '../require-deliverable-url';
import { paymentTaskQueue } from '../../domain/task-queues';
import type { invoiceWorkflow } from '../../workflows/invoice';
import { requireUnderCap } from '../object-caps';

const DEFAULT_EXPIRES_IN_SECONDS = 3600;

/**
 * Creates an invoice by starting its workflow and waiting for its deposit address. The invoice id
 * is derived from the external_id (or the Idempotency-Key), so a retried request lands on the same
 * workflow instead of creating a second invoice.
 */
export async function createInvoice(
  deps: ApiDeps,
  auth: AuthContext,
  body: CreateInvoiceBody,
  idempotencyKey: string | undefined,
  /** Origin the checkout link is built on (the configured public URL, else the request's). */
  checkoutOrigin: string,
): Promise<{ snapshot: InvoiceSnapshot; created: boolean }> {
  const network = resolveNetwork(deps, auth, body.network);
  const currency = resolveCurrency(deps, network, body.currency);
  const amount = parsePositiveAmount(body.amount, currency.decimals);
  if (body.callback_url) await requireDeliverableUrl(body.callback_url, auth.livemode, 'callback_url');

  const fingerprint = createHash('sha256')
    .update(JSON.stringify([body, network.id, currency.symbol]))
    .digest('hex');
  const scope = [auth.merchantId, String(auth.livemode)];
  // external_id is the invoice's identity when given (unique per merchant and mode), so an
  // Idempotency-Key never creates a second invoice for an order that already has one.
  const id = body.external_id
    ? derivedId('inv', ...scope, 'external-id', body.external_id)
    : idempotencyKey
      ? derivedId('inv', ...scope, 'idempotency-key', idempotencyKey)
      : randomId('inv');
  const requestId = randomUUID();

  const workflowId = workflowIds.invoice(id);
  const input: InvoiceInput = {
    id,
    merchantId: auth.merchantId,
    livemode: auth.livemode,
    network: network.id,
    currency: currency.symbol,
    decimals: currency.decimals,
    amount: amount.toString(),
    externalId: body.external_id ?? null,
    callbackUrl: body.callback_url ?? null,
    metadata: body.metadata ?? {},
    description: body.description ?? null,
    successUrl: body.success_url ?? null,
    cancelUrl: body.cancel_url ?? null,
    checkoutUrl: checkoutUrl(checkoutOrigin, checkoutSettings(deps).secret, id),
    expiresInSeconds: body.expires_in ?? DEFAULT_EXPIRES_IN_SECONDS,
    monitorWindowSeconds: deps.monitorWindowSeconds,
    underpaymentToleranceBps: auth.underpaymentToleranceBps,
    requestFingerprint: fingerprint,
    requestId,
  };
  const summary = `Invoice ${body.amount} ${currency.symbol} on ${network.id}${body.external_id ? ` for ${body.external_id}` : ''}`;

  const handle = deps.temporal.workflow.getHandle(workflowId);
  const recorded = await readProjection<InvoiceSnapshot>(deps.pool, 'invoices', id);
  let snapshot: InvoiceSnapshot;
  if (recorded) {
    // Created before: answer from the workflow while Temporal still has it, else from the record.
    // A workflow whose first task died with its worker answers before its address is allocated
    // again; the record, written in that task, already has it.
    snapshot = await handle
      .query(invoiceSnapshotQuery)
      .then((live) => (live.depositAddress ? live : recorded))
      .catch(() => recorded);
  } else {
    await requireUnderCap(deps, auth, 'openTestInvoices');
    snapshot = await awaitWorkflow(deps, () => startAndAwaitReady(deps, input, summary));
  }
  // USE_EXISTING hands back a running workflow started by an earlier request; its request id tells.
  const created = snapshot.requestId === requestId;
  requireSameRequest(
    snapshot,
    auth,
    fingerprint,
    body.external_id
      ? {
          code: 'external_id_conflict',
          message: `An invoice with external_id "${body.external_id}" already exists with different parameters`,
          param: 'external_id',
        }
      : { code: 'idempotency_key_reused', message: 'This Idempotency-Key was already used with different parameters' },
  );
  return { snapshot, created };
}

/**
 * Starts the invoice's workflow (or joins the running one) and waits until it has its address, in
 * one update-with-start call: one round trip to Temporal instead of a start and then an update.
 */
async function startAndAwaitReady(deps: ApiDeps, input: InvoiceInput, summary: string): Promise<InvoiceSnapshot> {
  const workflowId = workflowIds.invoice(input.id);
  const start = new WithStartWorkflowOperation<typeof invoiceWorkflow>('invoiceWorkflow', {
    workflowId,
    taskQueue: paymentTaskQueue(deps.taskQueue, input.livemode),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    staticSummary: summary,
    typedSearchAttributes: [
      { key: SA.merchantId, value: input.merchantId },
      { key: SA.status, value: 'pending' },
      { key: SA.network, value: input.network },
      { key: SA.livemode, value: input.livemode },
      ...(input.externalId ? [{ key: SA.externalId, value: input.externalId }] : []),
    ],
    args: [input],
  });
  try {
    return await deps.temporal.workflow.executeUpdateWithStart(invoiceReadyUpdate, { startWorkflowOperation: start });
  } catch (err) {
    // REJECT_DUPLICATE: the invoice's workflow already finished; its final state answers the retry.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return deps.temporal.workflow.getHandle(workflowId).query(invoiceSnapshotQuery);
  }
}
