import { getAddress } from 'ethers';
import { amountDue, checkoutPhase, type CheckoutPhase, FINAL_PHASES, paymentUri } from '../../domain/checkout';
import { depositSnapshotQuery } from '../../domain/messages';
import { fromBaseUnits } from '../../domain/money';
import { type InvoiceSnapshot, workflowIds } from '../../domain/payments';
import type { ApiDeps } from '../deps';
import { readInvoice } from '../read-invoice';
import { format, type Messages } from './messages';

/** An invoice as the checkout page needs it: the API's snapshot plus chain facts and confirmations. */
export interface CheckoutState {
  invoice: InvoiceSnapshot;
  networkName: string;
  chainId: number;
  /** Token contract (checksummed), or null for the native coin. */
  contract: string | null;
  /** Least-confirmed deposit in flight, or null when none is. */
  confirmations: { current: number; required: number } | null;
}

export async function readCheckoutState(deps: ApiDeps, invoiceId: string): Promise<CheckoutState | undefined> {
  const invoice = await readInvoice(deps, invoiceId);
  const network = invoice && deps.registry.get(invoice.network);
  if (!invoice || !network || !invoice.depositAddress) return undefined;
  const currency = deps.registry.currency(network, invoice.currency);
  return {
    invoice,
    networkName: network.name,
    chainId: network.chainId,
    contract: currency?.contract ? getAddress(currency.contract) : null,
    confirmations: await leastConfirmations(deps, invoice, network.confirmations),
  };
}

/**
 * Confirmations of the in-flight deposit furthest from done, from its live workflow (the invoice
 * snapshot only knows statuses); the projection's count when the workflow cannot answer.
 */
async function leastConfirmations(deps: ApiDeps, invoice: InvoiceSnapshot, required: number) {
  const inFlight = invoice.deposits.filter((d) => d.status === 'detected' || d.status === 'confirming');
  if (inFlight.length === 0) return null;
  const rows = await deps.pool.query<{ id: string; network: string; tx_hash: string; log_index: number; confirmations: number }>(
    'SELECT id, network, tx_hash, log_index, confirmations FROM deposits WHERE id = ANY($1)',
    [inFlight.map((d) => d.depositId)],
  );
  const counts = await Promise.all(
    rows.rows.map((r) =>
      deps.temporal.workflow
        .getHandle(workflowIds.deposit(r.network, r.tx_hash, r.log_index))
        .query(depositSnapshotQuery)
        .then((s) => s.confirmations)
        .catch(() => r.confirmations),
    ),
  );
  const current = counts.length ? Math.min(...counts) : 0;
  return { current: Math.min(current, required), required };
}

/** The part of the page that changes while the shopper watches; what the live stream sends. */
export interface LiveView {
  phase: CheckoutPhase;
  headline: string;
  detail: string;
  /** Whether the shopper should (still) send money: shows the address, QR code and countdown. */
  payable: boolean;
  paymentUri: string;
  redirectUrl: string | null;
  final: boolean;
}

export function liveView(state: CheckoutState, merchant: string, m: Messages): LiveView {
  const s = state.invoice;
  const phase = checkoutPhase(s);
  const units = (v: bigint | string) => fromBaseUnits(v, s.decimals);
  const due = amountDue(s);
  const values = {
    merchant,
    currency: s.currency,
    network: state.networkName,
    amount: units(s.amount),
    paid: units(BigInt(s.amountReceived) + BigInt(s.amountPending)),
    due: units(due),
    current: state.confirmations?.current ?? 0,
    required: state.confirmations?.required ?? 0,
  };
  const texts = m.phase[phase];
  const paid = phase === 'paid' || phase === 'paid_late';
  return {
    phase,
    headline: texts.headline,
    detail: format(texts.detail, values),
    payable: phase === 'waiting' || phase === 'partially_paid',
    paymentUri: paymentUri({
      chainId: state.chainId,
      contract: state.contract,
      to: getAddress(s.depositAddress!),
      amount: due > 0n ? due : BigInt(s.amount),
    }),
    redirectUrl: paid ? (s.successUrl ?? null) : null,
    final: FINAL_PHASES.has(phase),
  };
}
