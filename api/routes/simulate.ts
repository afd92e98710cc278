import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { getAddress } from 'ethers';
import { Router } from 'express';
import { invoiceSnapshotQuery } from '../../domain/messages';
import { fromBaseUnits } from '../../domain/money';
import type { NetworkConfig } from '../../domain/networks';
import { type InvoiceSnapshot, workflowIds } from '../../domain/payments';
import {
  SimulateDepositBody,
  type SimulateDepositInput,
  type SimulatedTransfer,
  simulationSentUpdate,
  simulationWorkflowId,
} from '../../domain/simulate';
import { type AuthContext, authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { parsePositiveAmount, resolveNetwork } from '../request-money';
import { paymentTaskQueue } from '../../domain/task-queues';

/**
 * `POST /simulate/deposit`: test mode pays one of the merchant's own addresses with a real
 * transfer on the test network. Everything after the transfer is the ordinary pipeline.
 */
export function simulateRouter(deps: ApiDeps): Router {
  const router = Router();

  // The answer tells what an invoice still expects: data only a `read` key may see.
  router.post('/simulate/deposit', requireScope('write', 'read'), idempotent(deps, 'simulate.deposit'), async (req, res) => {
    const auth = authOf(req);
    if (auth.livemode) {
      throw new ApiError(403, 'permission_error', 'livemode_not_allowed', 'Simulated deposits need a test mode (sk_test_) key');
    }
    const body = parse(SimulateDepositBody, req.body ?? {});
    const target = await resolveTarget(deps, auth, body);
    const currency = deps.registry.currency(target.network, body.currency ?? target.currency ?? 'USDT');
    if (!currency?.contract) {
      throw ApiError.invalid('unsupported_currency', `${body.currency} cannot be simulated on ${target.network.id}`, 'currency');
    }
    const scenario = body.scenario ?? 'normal';
    const amount =
      body.amount !== undefined ? parsePositiveAmount(body.amount, currency.decimals) : defaultAmount(target.remaining, scenario);

    const key = idempotencyKeyOf(req);
    const simulationId = key
      ? `sim_${createHash('sha256').update([auth.merchantId, key].join('\u0000')).digest('hex').slice(0, 24)}`
      : `sim_${randomBytes(12).toString('hex')}`;
    const input: SimulateDepositInput = {
      simulationId,
      network: target.network.id,
      contract: currency.contract,
      to: target.address.toLowerCase(),
      amount: amount.toString(),
      scenario,
      confirmations: target.network.confirmations,
    };
    const sent = await runSimulation(deps, input);
    res.status(202).json({
      data: {
        id: simulationId,
        object: 'simulated_deposit' as const,
        livemode: false,
        transaction_hash: sent.transactionHash,
        to_address: getAddress(input.to),
        amount: fromBaseUnits(input.amount, currency.decimals),
        currency: currency.symbol,
        network: input.network,
        scenario,
      },
    });
  });

  return router;
}

interface Target {
  network: NetworkConfig;
  address: string;
  currency?: string;
  /** Base units the invoice still expects; undefined for customers and bare addresses. */
  remaining?: bigint;
}

async function resolveTarget(deps: ApiDeps, auth: AuthContext, body: SimulateDepositBody): Promise<Target> {
  if (body.invoice_id !== undefined) {
    const invoice = await readInvoice(deps, body.invoice_id);
    if (!invoice || invoice.merchantId !== auth.merchantId || invoice.livemode !== auth.livemode || !invoice.depositAddress) {
      throw ApiError.notFound('invoice', 'invoice_id');
    }
    const network = deps.registry.get(invoice.network)!;
    if (body.network !== undefined && deps.registry.resolve(body.network, auth.livemode)?.id !== network.id) {
      throw ApiError.invalid('parameter_invalid', `The invoice is payable on ${network.id} only`, 'network');
    }
    const remaining = BigInt(invoice.amount) - BigInt(invoice.amountReceived) - BigInt(invoice.amountPending);
    return { network, address: invoice.depositAddress, currency: invoice.currency, remaining };
  }
  const network = resolveNetwork(deps, auth, body.network);
  const [condition, value, param, what] =
    body.customer_id !== undefined
      ? (["owner_type = 'customer' AND owner_id = $4", body.customer_id, 'customer_id', 'customer'] as const)
      : (['address = $4', body.address!.toLowerCase(), 'address', 'address'] as const);
  const row = await deps.pool.query<{ address: string }>(
    `SELECT address FROM addresses WHERE merchant_id = $1 AND livemode = $2 AND network = $3 AND ${condition} LIMIT 1`,
    [auth.merchantId, auth.livemode, network.id, value],
  );
  if (!row.rows[0]) throw ApiError.notFound(what, param);
  return { network, address: row.rows[0].address };
}

async function readInvoice(deps: ApiDeps, id: string): Promise<InvoiceSnapshot | undefined> {
  if (!/^inv_[0-9a-f]{16,48}$/.test(id)) return undefined;
  try {
    return await deps.temporal.workflow.getHandle(workflowIds.invoice(id)).query(invoiceSnapshotQuery);
  } catch {
    const row = await deps.pool.query<{ snapshot: InvoiceSnapshot }>('SELECT snapshot FROM invoices WHERE id = $1', [id]);
    return row.rows[0]?.snapshot;
  }
}

function defaultAmount(remaining: bigint | undefined, scenario: string): bigint {
  if (remaining === undefined)
    throw ApiError.invalid('parameter_missing', 'amount is required unless invoice_id is given', 'amount');
  const amount = scenario === 'underpay' ? remaining / 2n : remaining;
  if (amount <= 0n) throw ApiError.invalid('invoice_settled', 'The invoice expects no further payment; pass an amount', 'amount');
  return amount;
}

/** Starts the simulation (or finds the one this Idempotency-Key started) and waits for its transfer. */
async function runSimulation(deps: ApiDeps, input: SimulateDepositInput): Promise<SimulatedTransfer> {
  const workflowId = simulationWorkflowId(input.simulationId);
  let closed = false;
  try {
    await deps.temporal.workflow.start('simulateDepositWorkflow', {
      workflowId,
      taskQueue: paymentTaskQueue(deps.taskQueue, false), // simulation is test mode only
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `Simulated ${input.scenario} deposit to ${input.to} on ${input.network}`,
      args: [input],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    closed = true;
  }
  const handle = deps.temporal.workflow.getHandle(workflowId);
  try {
    return closed ? await handle.result() : await handle.executeUpdate(simulationSentUpdate);
  } catch (err) {
    throw new ApiError(
      502,
      'api_error',
      'simulation_failed',
      `The test network did not accept the transfer: ${(err as Error).message}`,
    );
  }
}
