import { invoiceSnapshotQuery } from '../domain/messages';
import { type InvoiceSnapshot, workflowIds } from '../domain/payments';
import type { ApiDeps } from './deps';

/**
 * An invoice's authoritative state: its live workflow's, or the projection once Temporal no longer
 * has the workflow. `GET /v1/invoices/{id}` and the checkout page both read it here.
 */
export async function readInvoice(deps: ApiDeps, id: string): Promise<InvoiceSnapshot | undefined> {
  try {
    return await deps.temporal.workflow.getHandle(workflowIds.invoice(id)).query(invoiceSnapshotQuery);
  } catch {
    // No such workflow (or its history was archived): the projection is the record.
    const row = await deps.pool.query<{ snapshot: InvoiceSnapshot }>('SELECT snapshot FROM invoices WHERE id = $1', [id]);
    return row.rows[0]?.snapshot;
  }
}
