import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { workflowIds } from '../../domain/payments';

/**
 * Whether a chain watcher runs for a network, asked of Temporal rather than of this worker's own
 * settings: in a deployment of several workers, any one of them may be the one that watches.
 */
export function createChainWatcherRunning(client: Client) {
  return (network: string): Promise<boolean> =>
    client.workflow
      .getHandle(workflowIds.chainWatcher(network))
      .describe()
      .then(
        (d) => d.status.name === 'RUNNING',
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
}
