export { invoiceWorkflow } from './invoice';
export { depositWorkflow } from './deposit';
export { chainWatcherWorkflow } from './chain-watcher';
export { customerWorkflow } from './customer';
export { simulateDepositWorkflow } from './simulate-deposit';
export { webhookDeliveryWorkflow } from './webhook-delivery';
export { withdrawalWorkflow } from './withdrawal';
export { eventDispatchWorkflow } from './event-dispatch';
