import { Client, type Connection } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { NetworkRegistry } from '../domain/networks';
import { workflowIds } from '../domain/payments';
import { SA } from '../domain/search-attributes';
import { paymentTaskQueue } from '../domain/task-queues';

/** Makes sure one chain watcher workflow runs per watched network (a running one is kept). */
export async function ensureChainWatchers(
  connection: Connection,
  namespace: string,
  baseTaskQueue: string,
  registry: NetworkRegistry,
  networks: string[],
): Promise<void> {
  const client = new Client({ connection, namespace });
  for (const id of networks) {
    const network = registry.get(id);
    if (!network) throw new Error(`SETTLE_WATCH_NETWORKS names unknown network "${id}"`);
    await client.workflow.start('chainWatcherWorkflow', {
      workflowId: workflowIds.chainWatcher(id),
      taskQueue: paymentTaskQueue(baseTaskQueue, network.livemode),
      args: [{ network: id, pollIntervalMs: network.blockTimeMs }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Chain watcher for ${network.name}`,
      typedSearchAttributes: [{ key: SA.network, value: id }],
    });
  }
}
