import { defineUpdate } from '@temporalio/workflow';
import type { PayoutSnapshot } from './payouts';

/**
 * Completes once the reservation has decided (status `reserved` or `rejected`); the API awaits it to
 * answer POST /payouts and POST /invoices/{id}/refunds.
 */
export const payoutDecidedUpdate = defineUpdate<PayoutSnapshot>('payoutDecided');
