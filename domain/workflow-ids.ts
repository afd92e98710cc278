/** Workflow ids: readable in the Temporal UI and derivable by anyone who knows the object. */
export const workflowIds = {
  invoice: (id: string) => `invoice-${id}`,
  customer: (id: string) => `customer-${id}`,
  deposit: (network: string, txHash: string, logIndex: number) =>
    `deposit-${network}-${txHash.toLowerCase()}-${logIndex < 0 ? 'native' : logIndex}`,
  chainWatcher: (network: string) => `chain-watcher-${network}`,
  withdrawal: (id: string) => `withdrawal-${id}`,
  webhookQueue: (targetId: string, objectId: string) => `webhooks-${targetId}-${objectId}`,
  eventDispatch: (eventId: string) => `dispatch-${eventId}`,
  webhookBacklog: (merchantId: string) => `webhook-backlog-${merchantId}`,
};
