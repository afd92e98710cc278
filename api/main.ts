import { Client, Connection } from '@temporalio/client';
import { ApiEnv, loadNetworkRegistry, parseEnv } from '../config/env';
import { createPool } from '../activities/db/pool';
import { connectWithBackoff } from '../activities/temporal/connect-with-backoff';
import { registerSearchAttributes } from '../activities/temporal/register-search-attributes';
import { ChainProviders } from '../activities/chain/providers';
import { createLogger } from '../activities/observability/logger';
import { dependencyChecks } from '../activities/observability/readiness';
import { listOf } from '../config/env';
import { requestIdClientInterceptor } from '../activities/temporal/request-id-context';
import { createApp } from './app';
import { answerClientErrorsAsJson } from './client-errors';
import { API_ROUTERS } from './routers';

/** API process entry point: connects to PostgreSQL and Temporal, then serves HTTP. */
async function main(): Promise<void> {
  const env = parseEnv(ApiEnv);
  const pool = createPool(env.DATABASE_URL);
  const logger = createLogger('api');
  const registry = loadNetworkRegistry(env.SETTLE_NETWORKS_FILE);
  const chains = new ChainProviders(registry);
  const address = env.TEMPORAL_ADDRESS;
  const connection = await connectWithBackoff(
    address,
    () => Connection.connect({ address, connectTimeout: 2000 }),
    (line) => logger.warn(line),
  );
  // Workflows the API starts carry Settle's search attributes: on a fresh cluster the API may be up
  // before any worker, and a start with an unknown attribute fails.
  await registerSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
  const app = createApp(
    {
      pool,
      temporal: new Client({
        connection,
        namespace: env.TEMPORAL_NAMESPACE,
        interceptors: { workflow: [requestIdClientInterceptor()] },
      }),
      registry,
      taskQueue: env.SETTLE_TASK_QUEUE,
      monitorWindowSeconds: 86_400,
      checkout: {
        secret: env.SETTLE_CHECKOUT_SECRET,
        publicUrl: env.SETTLE_PUBLIC_URL,
        frameAncestors: env.SETTLE_CHECKOUT_FRAME_ANCESTORS.split(/\s+/).filter(Boolean),
        rateLimitPerMinute: env.SETTLE_CHECKOUT_RATE_LIMIT,
      },
      objectCaps: {
        webhookEndpoints: env.SETTLE_MAX_WEBHOOK_ENDPOINTS,
        openTestInvoices: env.SETTLE_MAX_OPEN_TEST_INVOICES,
        testCustomers: env.SETTLE_MAX_TEST_CUSTOMERS,
      },
      rateLimits: {
        windowSeconds: env.SETTLE_RATE_LIMIT_WINDOW_SECONDS,
        live: env.SETTLE_RATE_LIMIT_LIVE,
        test: env.SETTLE_RATE_LIMIT_TEST,
        resend: env.SETTLE_RATE_LIMIT_RESEND,
      },
    },
    {
      trustProxy: trustProxySetting(env.SETTLE_TRUST_PROXY),
      extraRouters: API_ROUTERS,
      observability: {
        logger,
        checks: dependencyChecks({ pool, temporal: connection, chains, networks: listOf(env.SETTLE_READY_NETWORKS) }),
      },
    },
  );
  const server = app.listen(env.PORT, env.HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    logger.info(`settle api listening on http://${env.HOST}:${port}`);
  });
  answerClientErrorsAsJson(server);
  const stop = () => {
    server.close(() => {
      chains.destroy();
      void Promise.all([pool.end(), connection.close()]).then(() => process.exit(0));
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Express's `trust proxy` from SETTLE_TRUST_PROXY: off, a hop count, or a list of proxy addresses. */
function trustProxySetting(value: string): false | number | string[] {
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value.split(',');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
