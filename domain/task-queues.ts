/**
 * Settle's Temporal task queues, derived from one configured base name (`SETTLE_TASK_QUEUE`).
 * Payment-critical work has queues of its own so it never waits behind webhook deliveries (which
 * can hang on a merchant's slow receiver) or behind test-mode traffic; each queue has its own
 * worker with its own concurrency limits.
 */
export const TaskQueueKind = {
  /** Live invoices, customers, deposits, withdrawals and live chain watchers. */
  payments: 'payments',
  /** The same work in test mode, so a test-mode burst cannot delay live payments. */
  testPayments: 'test-payments',
  /** Webhook delivery workflows and their attempts, for every merchant and mode. */
  webhooks: 'webhooks',
  /**
   * The chain watchers (one workflow per network) and their scans: every payment's detection waits
   * on them, so they never queue behind a backlog of invoice, deposit or withdrawal tasks.
   */
  chainWatchers: 'chain-watchers',
} as const;
export type TaskQueueKind = (typeof TaskQueueKind)[keyof typeof TaskQueueKind];

/** The queue name of one kind: the base itself for live payments, `<base>-test`, `<base>-webhooks` and `<base>-watchers` otherwise. */
export function taskQueueName(base: string, kind: TaskQueueKind): string {
  switch (kind) {
    case TaskQueueKind.payments:
      return base;
    case TaskQueueKind.testPayments:
      return `${base}-test`;
    case TaskQueueKind.webhooks:
      return `${base}-webhooks`;
    case TaskQueueKind.chainWatchers:
      return `${base}-watchers`;
  }
}

/** Where an object's payment workflow runs: live and test mode never share a queue. */
export function paymentTaskQueue(base: string, livemode: boolean): string {
  return taskQueueName(base, livemode ? TaskQueueKind.payments : TaskQueueKind.testPayments);
}

/** Where webhook delivery workflows (and so their activities) run. */
export function webhookTaskQueue(base: string): string {
  return taskQueueName(base, TaskQueueKind.webhooks);
}

/** Where the chain watchers run, live and test networks alike. */
export function chainWatcherTaskQueue(base: string): string {
  return taskQueueName(base, TaskQueueKind.chainWatchers);
}
