import { Client, type Connection } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { NetworkRegistry } from '../domain/networks';
import { workflowIds } from '../domain/payments';
import { SA } from '../domain/search-attributes';
import { chainWatcherTaskQueue } from '../domain/task-queues';

/**
 * Makes sure one chain watcher workflow runs per watched network, on the watchers' own task queue.
 * A running one is kept, unless an earlier version started it on another queue: that one is
 * replaced, which loses nothing (its progress is the durable cursor, which a scan moves only from
 * where it read it, so the old run's last scan cannot overwrite the new run's).
 */
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
    const workflowId = workflowIds.chainWatcher(id);
    const taskQueue = chainWatcherTaskQueue(baseTaskQueue);
    const running = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => (d.status.name === 'RUNNING' ? d : undefined))
      .catch(() => undefined);
    await client.workflow.start('chainWatcherWorkflow', {
      workflowId,
      taskQueue,
      args: [{ network: id, pollIntervalMs: network.blockTimeMs }],
      workflowIdConflictPolicy:
        running && running.taskQueue !== taskQueue
          ? WorkflowIdConflictPolicy.TERMINATE_EXISTING
          : WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Chain watcher for ${network.name}`,
      typedSearchAttributes: [{ key: SA.network, value: id }],
    });
  }
}
