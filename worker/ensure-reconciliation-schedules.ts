import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Connection } from '@temporalio/client';
import type { NetworkRegistry } from '../domain/networks';
import { paymentTaskQueue } from '../domain/task-queues';
import type { ReconciliationInput } from '../domain/reconciliation';

/** The schedule that reconciles one network; every worker asks for it, the id keeps it to one. */
export const reconciliationScheduleId = (network: string) => `reconciliation-${network}`;

/**
 * Creates the reconciliation schedule of each watched network unless it exists (an existing one is
 * kept as it is: change its interval with `temporal schedule update`). A run that would overlap the
 * previous one is skipped.
 */
export async function ensureReconciliationSchedules(
  connection: Connection,
  options: { namespace: string; baseTaskQueue: string; registry: NetworkRegistry; networks: string[]; everyMinutes: number },
): Promise<void> {
  if (options.everyMinutes <= 0) return;
  const client = new Client({ connection, namespace: options.namespace });
  for (const id of options.networks) {
    const network = options.registry.get(id);
    if (!network) throw new Error(`unknown network "${id}"`);
    // Long enough for a deposit or withdrawal seen on the first read to reach its confirmations.
    const input: ReconciliationInput = {
      network: id,
      recheckAfterMs: Math.max(60_000, 3 * network.confirmations * network.blockTimeMs),
    };
    try {
      await client.schedule.create({
        scheduleId: reconciliationScheduleId(id),
        spec: { intervals: [{ every: `${options.everyMinutes} minutes` }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'reconciliationWorkflow',
          workflowId: `reconciliation-${id}`,
          taskQueue: paymentTaskQueue(options.baseTaskQueue, network.livemode),
          args: [input],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { note: `Ledger against on-chain balances on ${network.name}` },
      });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
}
