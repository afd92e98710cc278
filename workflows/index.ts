export { invoiceWorkflow } from './invoice';
export { depositWorkflow } from './deposit';
export { chainWatcherWorkflow } from './chain-watcher';
export { customerWorkflow } from './customer';
