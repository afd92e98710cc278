import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClusterStack, randomSecret } from './cluster-stack';

/**
 * `npm run cluster`: Settle in its production topology on one machine: a Temporal server on
 * PostgreSQL, two APIs, two payment workers and two webhook workers sharing it, plus Anvil and
 * (unless DATABASE_URL names a server) embedded PostgreSQL, all supervised. Data stays in
 * ./.data/cluster (SETTLE_CLUSTER_DATA).
 */
const ROOT = path.resolve(__dirname, '../..');
const DATA = path.resolve(process.env.SETTLE_CLUSTER_DATA ?? path.join(ROOT, '.data', 'cluster'));
const firstApiPort = Number(process.env.PORT ?? 3000);

async function main(): Promise<void> {
  mkdirSync(DATA, { recursive: true });
  const stack = new ClusterStack({
    dir: DATA,
    serverUrl: process.env.DATABASE_URL && serverUrlOf(process.env.DATABASE_URL),
    masterSeed: process.env.SETTLE_MASTER_SEED ?? readOrCreateSecret('master-seed'),
    checkoutSecret: process.env.SETTLE_CHECKOUT_SECRET ?? readOrCreateSecret('checkout-secret'),
    apiPorts: [firstApiPort, firstApiPort + 1],
  });
  const stop = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await stack.start();
  } catch (err) {
    console.error(`[cluster] could not start: ${(err as Error).message}`);
    await stack.stop();
    process.exit(1);
  }
  console.log(`
  Settle cluster is running.
    APIs            ${stack.apiUrls.join('  ')}
    Workers         ${stack.workerUrls.map((u) => `${u}/readyz`).join('  ')}
    Temporal        ${stack.temporalAddress} (on PostgreSQL; server metrics ${stack.temporalMetricsUrl})
    DATABASE_URL    ${stack.databaseUrl}
  Create a merchant and key with: DATABASE_URL=${stack.databaseUrl} npm run -s settle -- merchant create --name "My shop"
  Ctrl-C stops everything; data stays in ${path.relative(ROOT, DATA) || DATA}.
`);
}

/** The same server with its maintenance database, where the cluster creates its own databases. */
function serverUrlOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function readOrCreateSecret(name: string): string {
  const file = path.join(DATA, name);
  if (!existsSync(file)) writeFileSync(file, randomSecret(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

void main();
