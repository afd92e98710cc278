import type { Server } from 'node:http';
import type { Connection } from '@temporalio/client';
import express from 'express';
import type { Pool } from 'pg';
import { ChainProviders } from '../activities/chain/providers';
import { createMetricsRegistry, registerPaymentGauges } from '../activities/observability/metrics';
import { dependencyChecks } from '../activities/observability/readiness';
import { observabilityRouter } from '../activities/observability/router';
import type { NetworkRegistry } from '../domain/networks';

export interface WorkerObservabilityOptions {
  host: string;
  port: number;
  pool: Pool;
  temporal: Pick<Connection, 'workflowService'>;
  registry: NetworkRegistry;
  /** Networks this worker watches: their RPC is checked and their lag and hot wallets measured. */
  networks: string[];
  temporalMetricsUrl?: string;
}

/** The worker's small HTTP server: /healthz, /readyz and /metrics (payment gauges and the SDK's own). */
export async function startWorkerObservability(
  options: WorkerObservabilityOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const chains = new ChainProviders(options.registry);
  const metrics = createMetricsRegistry('worker');
  registerPaymentGauges(metrics, { pool: options.pool, chains, networks: options.networks });
  const app = express();
  app.disable('x-powered-by');
  app.use(
    observabilityRouter({
      registry: metrics,
      checks: dependencyChecks({ pool: options.pool, temporal: options.temporal, chains, networks: options.networks }),
      temporalMetricsUrl: options.temporalMetricsUrl,
    }),
  );
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host, () => resolve(s)).once('error', reject);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise((resolve) => {
        chains.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
