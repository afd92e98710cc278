import { TaskQueueKind } from '../../domain/task-queues';

/**
 * The two kinds of worker process every topology runs (`npm start`, `npm run cluster`,
 * docker-compose.yml). Payments, test payments and the chain watchers go to workers that hold the
 * seed. Webhook deliveries go to workers of their own at a lower CPU priority: a merchant flooding
 * its endpoints costs CPU that payments win whenever both want it (issue 14's noisy neighbour:
 * another merchant's create p99 beside it went from 307-417 ms to 190-341 ms on two cores). They
 * request URLs merchants chose, so they get no seed.
 */
export const PAYMENT_WORKER_ENV = {
  SETTLE_WORKER_QUEUES: [TaskQueueKind.payments, TaskQueueKind.testPayments, TaskQueueKind.chainWatchers].join(','),
};

export const WEBHOOK_WORKER_ENV = {
  SETTLE_WORKER_QUEUES: TaskQueueKind.webhooks,
  SETTLE_WORKER_NICE: '10',
};
