import { Client, type Connection } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';
import { ChainProviders } from '../activities/chain/providers';
import { HdWallet } from '../activities/wallet/hd-wallet';
import type { NetworkRegistry } from '../domain/networks';

export interface WorkerOptions {
  connection: NativeConnection;
  /** Client the activities use to start deposit and webhook workflows. */
  clientConnection: Connection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  registry: NetworkRegistry;
  masterSeedHex: string;
  /** Prebuilt workflow bundle (tests build it once); otherwise bundled from workflows/ at start. */
  workflowBundle?: WorkflowBundle;
}

/** Wires activities to their dependencies and creates the worker; the caller runs and stops it. */
export async function createSettleWorker(options: WorkerOptions): Promise<{ worker: Worker; close: () => void }> {
  const chains = new ChainProviders(options.registry);
  const client = new Client({ connection: options.clientConnection, namespace: options.namespace });
  const activities = createActivities({
    pool: options.pool,
    registry: options.registry,
    chains,
    wallet: new HdWallet(options.masterSeedHex),
    client,
    taskQueue: options.taskQueue,
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
  return { worker, close: () => chains.destroy() };
}
