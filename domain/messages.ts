import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DepositSnapshot, DepositUpdate, InvoiceSnapshot } from './payments';

/** Message definitions shared by workflows and their callers, so the two sides cannot drift. */
export const invoiceSnapshotQuery = defineQuery<InvoiceSnapshot>('invoiceSnapshot');
/** Completes once the invoice has its deposit address; the API awaits it to answer POST /invoices. */
export const invoiceReadyUpdate = defineUpdate<InvoiceSnapshot>('invoiceReady');
export const depositUpdatedSignal = defineSignal<[DepositUpdate]>('depositUpdated');

export const depositSnapshotQuery = defineQuery<DepositSnapshot>('depositSnapshot');
/** Sent by the chain watcher each time it sees the deposit's transfer (signal-with-start). */
export const depositSightedSignal = defineSignal<[{ blockNumber: number; blockHash: string }]>('depositSighted');
/** Sent by the chain watcher when the head reaches the depth the deposit needs: check the chain now, not at the timer. */
export const depositReachedDepthSignal = defineSignal('depositReachedDepth');
