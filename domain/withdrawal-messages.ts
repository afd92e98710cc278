import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { WithdrawalSnapshot } from './withdrawals';

export const withdrawalSnapshotQuery = defineQuery<WithdrawalSnapshot>('withdrawalSnapshot');
/**
 * Completes once the balance check has decided (status `reserved` or `rejected`); the API awaits it
 * to answer POST /withdraw, so the caller learns at once whether the money was reserved.
 */
export const withdrawalDecidedUpdate = defineUpdate<WithdrawalSnapshot>('withdrawalDecided');
