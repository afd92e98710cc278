import { Client, type Connection } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';
import { requestIdActivityInterceptor } from '../activities/temporal/request-id-activity-interceptor';
import { requestIdClientInterceptor } from '../activities/temporal/request-id-context';
import { workflowBundleOptions } from './workflow-bundle-options';
import { ChainProviders } from '../activities/chain/providers';
import { HdWallet } from '../activities/wallet/hd-wallet';
import type { NetworkRegistry } from '../domain/networks';
import { TaskQueueKind, taskQueueName } from '../domain/task-queues';

/** How much each queue's worker may run at once; together they bound the process's memory. */
export interface QueueLimits {
  /** Activities running at once (a hung webhook receiver holds one until its timeout). */
  activities: number;
  /** Workflows kept in memory between tasks; evicted ones replay from history when they wake. */
  cachedWorkflows: number;
  /** Workflow tasks running at once: a flood of one kind cannot take the Temporal server's whole throughput. */
  workflowTasks: number;
  /** Activities this worker starts per second, if limited. */
  activitiesPerSecond?: number;
  /**
   * The share of workflow-task pollers on the queue itself rather than this worker's sticky queue.
   * The queue itself carries every new workflow's first task (the one a creating request waits
   * for) and every task of a workflow no longer cached (all of them after a worker restart).
   */
  newWorkPollShare?: number;
}

/**
 * Payment queues keep Temporal's default activity concurrency; deliveries get a smaller share. The
 * caches hold 1,000 workflows in all (Temporal measures up to ~1 MB each), so a flood of delivery
 * workflows is evicted and replayed on demand instead of growing the heap.
 *
 * Payment and delivery queues poll the queue itself with half their pollers, not Temporal's fifth:
 * their workflows are short and many, so much of their work is first tasks and tasks of workflows
 * not cached. In the 30-minute soak, with two pollers of ten there, new invoices' first tasks waited
 * up to 5 minutes (90th percentile over 3 minutes) while tasks on the sticky queues never waited a
 * minute, and the API's invoice creates, which wait for that first task, timed out. This raises how
 * many may poll there; the SDK still keeps fewer while the sticky queue has work (one, in the soak's
 * metrics). What cleared that backlog was a faster dev-server store (scripts/dev-stack/temporal-store.ts).
 */
export const DEFAULT_QUEUE_LIMITS: Record<TaskQueueKind, QueueLimits> = {
  [TaskQueueKind.payments]: { activities: 100, cachedWorkflows: 500, workflowTasks: 40, newWorkPollShare: 0.5 },
  [TaskQueueKind.testPayments]: { activities: 50, cachedWorkflows: 250, workflowTasks: 20, newWorkPollShare: 0.5 },
  [TaskQueueKind.webhooks]: {
    activities: 32,
    cachedWorkflows: 250,
    workflowTasks: 8,
    activitiesPerSecond: 20,
    newWorkPollShare: 0.5,
  },
  [TaskQueueKind.chainWatchers]: { activities: 8, cachedWorkflows: 16, workflowTasks: 4 },
};

export interface WorkerOptions {
  connection: NativeConnection;
  /** Client the activities use to start deposit and webhook workflows. */
  clientConnection: Connection;
  namespace: string;
  /** The base task queue name; each kind of work polls its own queue derived from it. */
  taskQueue: string;
  pool: Pool;
  registry: NetworkRegistry;
  /** Every process that runs payments needs it; one that only delivers webhooks runs without. */
  masterSeedHex?: string;
  /** Prebuilt workflow bundle (tests build it once); otherwise bundled from workflows/ at start. */
  workflowBundle?: WorkflowBundle;
  limits?: Partial<Record<TaskQueueKind, QueueLimits>>;
  /** Webhook attempts of one merchant run at once in this process. */
  deliveriesPerMerchant?: number;
  /** The kinds of work this process polls for; all by default. */
  queues?: readonly TaskQueueKind[];
}

/** The worker of each task queue, run and stopped together. */
export interface SettleWorker {
  workers: Worker[];
  /** Runs every queue's worker until shutdown; if one fails, the others are stopped and it rejects. */
  run(): Promise<void>;
  shutdown(): void;
  /** Releases what the activities hold (RPC providers) once run() has settled. */
  close(): void;
}

/**
 * Wires activities to their dependencies and creates one worker per task queue in this process.
 * Every worker registers every workflow and activity, so work started on a queue before the split
 * (all on the base queue) still runs; which queue a new workflow lands on decides who runs it.
 */
export async function createSettleWorker(options: WorkerOptions): Promise<SettleWorker> {
  const chains = new ChainProviders(options.registry);
  // Workflows the activities start carry on the request id of the activity that starts them.
  const client = new Client({
    connection: options.clientConnection,
    namespace: options.namespace,
    interceptors: { workflow: [requestIdClientInterceptor()] },
  });
  const activities = createActivities({
    pool: options.pool,
    registry: options.registry,
    chains,
    wallet: new HdWallet(options.masterSeedHex),
    client,
    taskQueue: options.taskQueue,
    deliveriesPerMerchant: options.deliveriesPerMerchant,
  });
  // Bundled once for all the queues' workers.
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflowCode(workflowBundleOptions));
  const workers = await Promise.all(
    (options.queues ?? Object.values(TaskQueueKind)).map((kind) => {
      const limits = { ...DEFAULT_QUEUE_LIMITS[kind], ...options.limits?.[kind] };
      return Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: taskQueueName(options.taskQueue, kind),
        activities,
        maxConcurrentActivityTaskExecutions: limits.activities,
        maxCachedWorkflows: limits.cachedWorkflows,
        maxConcurrentWorkflowTaskExecutions: limits.workflowTasks,
        ...(limits.activitiesPerSecond ? { maxActivitiesPerSecond: limits.activitiesPerSecond } : {}),
        ...(limits.newWorkPollShare ? { nonStickyToStickyPollRatio: limits.newWorkPollShare } : {}),
        workflowBundle,
        interceptors: { activity: [requestIdActivityInterceptor] },
      });
    }),
  );
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    workers,
    run: async () => {
      const runs = workers.map((w) =>
        w.run().catch((err: unknown) => {
          shutdown();
          throw err;
        }),
      );
      await Promise.all(runs.map((r) => r.catch(() => undefined)));
      await Promise.all(runs);
    },
    shutdown,
    close: () => chains.destroy(),
  };
}
