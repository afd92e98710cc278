import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { PublishEventInput } from '../domain/events';
import type { NetworkRegistry } from '../domain/networks';
import { DEFAULT_DELIVERIES_PER_MERCHANT } from '../domain/webhooks';
import { createChainScannedPast } from './chain/chain-scanned-past';
import { createFollowChain } from './chain/follow-chain';
import { createScanBlocks } from './chain/scan-blocks';
import { createWakeDepositsAtDepth } from './chain/wake-deposits-at-depth';
import { createSimulateTransfer } from './chain/simulate-transfer';
import type { ChainProviders } from './chain/providers';
import { createVerifyDeposit } from './chain/verify-deposit';
import { createCreditDeposit } from './db/credit-deposit';
import { createSaveCustomer } from './db/save-customer';
import { createSaveProjections } from './db/save-projections';
import { createChainWatcherRunning } from './temporal/chain-watcher-running';
import { createStartDeposit } from './temporal/start-deposit';
import { createAllocateAddress } from './wallet/allocate-address';
import type { HdWallet } from './wallet/hd-wallet';
import { createReportStuckTransaction } from './wallet/report-stuck';
import { createStoreEvent } from './webhooks/publish-event';
import { createDeliverWebhook, createOpenDelivery, createTakeDeliveryTurn, DELIVERY_TIMEOUT_MS } from './webhooks/deliveries';
import { createDispatchEvent } from './webhooks/dispatch-event';
import { MerchantSlots } from './webhooks/merchant-slots';
import { DeliveryBacklog } from './webhooks/delivery-backlog';
import { createPayoutActivities } from './payout-activities';
import { createWithdrawalActivities } from './withdrawal-activities';
import { createReconcileBalances } from './reconciliation/reconcile-balances';
import { createRecordReconciliation } from './reconciliation/record-reconciliation';

export interface ActivityDeps {
  pool: Pool;
  registry: NetworkRegistry;
  chains: ChainProviders;
  wallet: HdWallet;
  client: Client;
  taskQueue: string;
  /** Deliveries of one merchant sent at once across every worker; default DEFAULT_DELIVERIES_PER_MERCHANT. */
  deliveriesPerMerchant?: number;
}

/** Every activity the worker registers; workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(deps: ActivityDeps) {
  // Slots are leases in PostgreSQL; this process's record of deliveries told to wait spaces out their retries.
  const merchantSlots = new MerchantSlots(
    deps.pool,
    deps.deliveriesPerMerchant ?? DEFAULT_DELIVERIES_PER_MERCHANT,
    DELIVERY_TIMEOUT_MS,
  );
  const storeEvent = createStoreEvent(deps.pool);
  const backlog = new DeliveryBacklog(deps.pool, deps.client, deps.taskQueue, merchantSlots.perMerchant);
  const dispatchEvent = createDispatchEvent(deps.pool, (deliveries) => backlog.enqueue(deliveries));
  /** Stores the event, then has it enqueued with every target subscribed to it. */
  const publishEvent = async (input: PublishEventInput): Promise<string> => {
    const { id } = await storeEvent(input);
    await dispatchEvent(id);
    return id;
  };
  const scanBlocks = createScanBlocks(deps.pool, deps.chains, createStartDeposit(deps.client, deps.taskQueue));
  return {
    allocateAddress: createAllocateAddress(deps.pool, deps.wallet),
    ...createSaveProjections(deps.pool),
    saveCustomer: createSaveCustomer(deps.pool),
    creditDeposit: createCreditDeposit(deps.pool),
    scanBlocks,
    followChain: createFollowChain(deps.chains, scanBlocks, createWakeDepositsAtDepth(deps.pool, deps.client)),
    verifyDeposit: createVerifyDeposit(deps.chains),
    chainScannedPast: createChainScannedPast(deps.pool, deps.chains, createChainWatcherRunning(deps.client)),
    ...createSimulateTransfer(deps.pool, deps.chains),
    publishEvent,
    reportStuckTransaction: createReportStuckTransaction(deps.registry, publishEvent),
    dispatchEvent,
    releaseWebhookBacklog: (merchantId: string) => backlog.release(merchantId),
    openDelivery: createOpenDelivery(deps.pool),
    takeDeliveryTurn: createTakeDeliveryTurn(deps.pool, merchantSlots),
    deliverWebhook: createDeliverWebhook(deps.pool, { storeEvent, dispatchEvent }, merchantSlots, backlog),
    ...createWithdrawalActivities(deps),
    reconcileBalances: createReconcileBalances(deps.pool, deps.chains),
    recordReconciliation: createRecordReconciliation(deps.pool),
    ...createPayoutActivities(deps, publishEvent),
  };
}

export type Activities = ReturnType<typeof createActivities>;
