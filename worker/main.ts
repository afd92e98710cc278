import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { migrate } from '../activities/db/migrate';
import { createPool } from '../activities/db/pool';
import { connectWithBackoff } from '../activities/temporal/connect-with-backoff';
import { createLogger } from '../activities/observability/logger';
import { temporalLogger } from '../activities/observability/temporal-logger';
import { listOf, loadNetworkRegistry, parseEnv, WorkerEnv } from '../config/env';
import { createSettleWorker, DEFAULT_QUEUE_LIMITS } from './create-worker';
import { TaskQueueKind } from '../domain/task-queues';
import { registerSearchAttributes } from '../activities/temporal/register-search-attributes';
import { ensureChainWatchers } from './start-chain-watchers';
import { ensureReconciliationSchedules } from './ensure-reconciliation-schedules';
import { startWorkerObservability } from './worker-observability';

/** Worker process entry point: the only process that holds the master seed and signs. */
async function main(): Promise<void> {
  const env = parseEnv(WorkerEnv);
  const logger = createLogger('worker');
  if (env.SETTLE_WORKER_NICE) os.setPriority(env.SETTLE_WORKER_NICE);
  const sdkMetrics = env.SETTLE_TEMPORAL_METRICS_ADDRESS === 'off' ? undefined : env.SETTLE_TEMPORAL_METRICS_ADDRESS;
  // Before any connection: the SDK's runtime (and its Prometheus endpoint) is created once per process.
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      // The SDK core's own warnings (slow workflow tasks, lost activities) join the JSON log too.
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(sdkMetrics ? { metrics: { prometheus: { bindAddress: sdkMetrics } } } : {}),
    },
  });
  const pool = createPool(env.DATABASE_URL);
  const applied = await migrate(pool);
  if (applied.length) logger.info(`applied migrations: ${applied.join(', ')}`);
  const registry = loadNetworkRegistry(env.SETTLE_NETWORKS_FILE);
  const address = env.TEMPORAL_ADDRESS;
  const waiting = (line: string) => logger.warn(line);
  const connection = await connectWithBackoff(address, () => NativeConnection.connect({ address }), waiting);
  const clientConnection = await connectWithBackoff(
    address,
    () => Connection.connect({ address, connectTimeout: 2000 }),
    waiting,
  );
  await registerSearchAttributes(clientConnection, env.TEMPORAL_NAMESPACE);

  const worker = await createSettleWorker({
    connection,
    clientConnection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.SETTLE_TASK_QUEUE,
    pool,
    registry,
    masterSeedHex: env.SETTLE_MASTER_SEED,
    limits: { webhooks: { ...DEFAULT_QUEUE_LIMITS.webhooks, activities: env.SETTLE_WEBHOOK_CONCURRENCY } },
    deliveriesPerMerchant: env.SETTLE_WEBHOOK_CONCURRENCY_PER_MERCHANT,
    queues: env.SETTLE_WORKER_QUEUES,
    ...(env.SETTLE_WORKFLOW_BUNDLE ? { workflowBundle: { code: readFileSync(env.SETTLE_WORKFLOW_BUNDLE, 'utf8') } } : {}),
  });
  // Chain watchers and reconciliations are started by a process that runs them.
  const watched = env.SETTLE_WORKER_QUEUES.includes(TaskQueueKind.chainWatchers) ? listOf(env.SETTLE_WATCH_NETWORKS) : [];
  const http = await startWorkerObservability({
    host: env.SETTLE_WORKER_HTTP_HOST,
    port: env.SETTLE_WORKER_HTTP_PORT,
    pool,
    temporal: clientConnection,
    registry,
    networks: watched,
    temporalMetricsUrl: sdkMetrics && `http://${sdkMetrics}/metrics`,
  });
  await ensureChainWatchers(clientConnection, env.TEMPORAL_NAMESPACE, env.SETTLE_TASK_QUEUE, registry, watched);
  await ensureReconciliationSchedules(clientConnection, {
    namespace: env.TEMPORAL_NAMESPACE,
    baseTaskQueue: env.SETTLE_TASK_QUEUE,
    registry,
    networks: watched,
    everyMinutes: env.SETTLE_RECONCILIATION_INTERVAL_MINUTES,
  });
  const queues = worker.workers.map((w) => `"${w.options.taskQueue}"`).join(', ');
  logger.info(
    `settle worker polling task queues ${queues}, watching ${watched.join(', ') || 'no networks'}; health and metrics on port ${http.port}`,
  );
  await worker.run();
  worker.close();
  await http.close();
  await Promise.all([pool.end(), connection.close(), clientConnection.close()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
