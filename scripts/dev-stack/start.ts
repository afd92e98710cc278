import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Pool } from 'pg';
import { migrate } from '../../activities/db/migrate';
import { hashApiKey } from '../../domain/api-key';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { createDevMerchant } from './dev-merchant';
import { freePort } from './processes';
import { Supervisor } from './supervisor';
import { startSupervisedChain, startSupervisedPostgres, waitFor } from './supervised-parts';
import { temporalStoreArgs } from './temporal-store';
import { writeWorkflowBundle } from './workflow-bundle-file';
import { PAYMENT_WORKER_ENV, WEBHOOK_WORKER_ENV } from './worker-kinds';

/**
 * `npm start`: the whole of Settle on one machine, on embedded defaults, supervised.
 * TEMPORAL_ADDRESS, DATABASE_URL and SETTLE_NETWORKS_FILE each switch one part to an external one.
 * Everything is kept in ./.data (SETTLE_DEV_DATA), so a second start reuses the data of the first.
 */
const ROOT = path.resolve(__dirname, '../..');
// SETTLE_DEV_DATA lets a second stack (the bench's) run beside the developer's own.
const DATA = path.resolve(process.env.SETTLE_DEV_DATA ?? path.join(ROOT, '.data'));
const PORTS = {
  api: Number(process.env.PORT ?? 3000),
  temporal: Number(process.env.SETTLE_DEV_TEMPORAL_PORT ?? 7233),
  temporalUi: Number(process.env.SETTLE_DEV_TEMPORAL_UI_PORT ?? 8233),
  postgres: Number(process.env.SETTLE_DEV_POSTGRES_PORT ?? 54329),
  chain: Number(process.env.SETTLE_DEV_CHAIN_PORT ?? 8545),
};
/**
 * Ports the stack picks itself (Temporal's metrics, the worker's HTTP and SDK metrics), never one
 * of PORTS: the Temporal CLI's own random metrics port once took the PostgreSQL port a bench stack
 * had chosen before PostgreSQL bound it, and PostgreSQL never started.
 */
const picked: number[] = [];
async function pickPort(variable: string | undefined): Promise<number> {
  if (variable) return Number(variable);
  const port = await freePort([...Object.values(PORTS), ...picked]);
  picked.push(port);
  return port;
}
const log = (msg: string) => console.log(`[settle] ${msg}`);
const cleanups: Array<() => Promise<void>> = [];
const supervisor = new Supervisor(log);
let stopping = false;

async function main(): Promise<void> {
  // Traversable by the unprivileged user embedded PostgreSQL runs as under root; the secrets in it are 0600.
  mkdirSync(DATA, { recursive: true });
  chmodSync(DATA, 0o755);

  // Built while the other parts start; both workers load it instead of bundling for themselves.
  const workflowBundle = process.env.SETTLE_WORKFLOW_BUNDLE ?? writeWorkflowBundle(path.join(DATA, 'workflow-bundle.js'));
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? (await startTemporal());
  const databaseUrl = process.env.DATABASE_URL ?? (await startDatabase());
  const networksFile = process.env.SETTLE_NETWORKS_FILE ?? (await startChain());
  const masterSeed = process.env.SETTLE_MASTER_SEED ?? readOrCreateSecret('master-seed', () => randomBytes(32).toString('hex'));

  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  await migrate(pool);
  const apiKey = await devApiKey(pool);
  await pool.end();

  // Only the payment worker gets the seed, even when it came from this shell's environment.
  const inherited = { ...process.env };
  delete inherited.SETTLE_MASTER_SEED;
  const env = {
    ...inherited,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    SETTLE_NETWORKS_FILE: networksFile,
    PORT: String(PORTS.api),
    HOST: '127.0.0.1',
    SETTLE_CHECKOUT_SECRET:
      process.env.SETTLE_CHECKOUT_SECRET ?? readOrCreateSecret('checkout-secret', () => randomBytes(32).toString('hex')),
    // Local development: test-mode webhooks may go to a receiver on this machine.
    SETTLE_TEST_MODE_PRIVATE_WEBHOOKS: 'true',
  };
  const tsx = (entry: string) => [require.resolve('tsx/cli'), entry];
  // Free ports unless set, so a second stack (the bench's) never collides with the developer's.
  const workerHttpPort = await pickPort(process.env.SETTLE_WORKER_HTTP_PORT);
  const workerEnv = { ...env, SETTLE_WATCH_NETWORKS: 'local', SETTLE_WORKFLOW_BUNDLE: await workflowBundle };
  supervisor.run({
    name: 'worker',
    command: process.execPath,
    args: tsx('worker/main.ts'),
    cwd: ROOT,
    env: {
      ...workerEnv,
      ...PAYMENT_WORKER_ENV,
      SETTLE_MASTER_SEED: masterSeed,
      SETTLE_WORKER_HTTP_PORT: String(workerHttpPort),
      SETTLE_TEMPORAL_METRICS_ADDRESS: process.env.SETTLE_TEMPORAL_METRICS_ADDRESS ?? `127.0.0.1:${await pickPort(undefined)}`,
    },
  });
  // Deliveries in a process of their own, at a lower priority and without the seed (worker-kinds.ts).
  supervisor.run({
    name: 'webhook-worker',
    command: process.execPath,
    args: tsx('worker/main.ts'),
    cwd: ROOT,
    env: {
      ...workerEnv,
      ...WEBHOOK_WORKER_ENV,
      SETTLE_WORKER_HTTP_PORT: String(await pickPort(undefined)),
      SETTLE_TEMPORAL_METRICS_ADDRESS: 'off',
    },
  });
  // The API gets no seed: it never holds key material.
  supervisor.run({ name: 'api', command: process.execPath, args: tsx('api/main.ts'), cwd: ROOT, env });
  await waitFor('the API', async () => {
    if (!(await fetch(`http://127.0.0.1:${PORTS.api}/health`)).ok) throw new Error('not ready');
  });
  const sample = await sampleInvoice(`http://127.0.0.1:${PORTS.api}`, apiKey);

  console.log(`
  Settle is running.
    API             http://127.0.0.1:${PORTS.api}      (reference: http://127.0.0.1:${PORTS.api}/docs)
    Temporal UI     ${process.env.TEMPORAL_ADDRESS ? '(external cluster)' : `http://127.0.0.1:${PORTS.temporalUi}`}
    Worker health   http://127.0.0.1:${workerHttpPort}/readyz   (metrics: /metrics on it and on the API)
    Test API key    ${apiKey}
    DATABASE_URL    ${databaseUrl}
  Try: curl -s -X POST http://127.0.0.1:${PORTS.api}/v1/invoices -H "X-API-Key: ${apiKey}" -d '{"amount":"50.00"}'
${sample}
  Ctrl-C stops everything; data stays in ./.data.
`);
}

/** The Temporal dev server, supervised; without a provisioned CLI the SDK downloads one (unsupervised). */
async function startTemporal(): Promise<string> {
  const cli = execFileSync('bash', [path.join(ROOT, 'scripts/provision/temporal-cli.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .toString()
    .trim();
  const address = `127.0.0.1:${PORTS.temporal}`;
  if (!cli) return startDownloadedTemporal();
  log(`starting Temporal dev server (${cli}) with its Web UI`);
  supervisor.run({
    name: 'temporal',
    command: cli,
    args: [
      ...['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(PORTS.temporal)],
      ...['--ui-port', String(PORTS.temporalUi), ...temporalStoreArgs(path.join(DATA, 'temporal.db')), '--log-level', 'error'],
      ...['--metrics-port', String(await pickPort(process.env.SETTLE_DEV_TEMPORAL_METRICS_PORT))],
      // Webhook deliveries carry the merchant as fairness key; this has the server honour it.
      ...['--dynamic-config-value', 'matching.enableFairness=true'],
      ...ALL_SEARCH_ATTRIBUTES.flatMap((a) => [
        '--search-attribute',
        `${a.name}=${TypedSearchAttributes.toMetadataType(a.type)}`,
      ]),
    ],
  });
  await waitFor('Temporal', async () => (await Connection.connect({ address, connectTimeout: 1000 })).close());
  return address;
}

async function startDownloadedTemporal(): Promise<string> {
  log('starting Temporal dev server (SDK download; not restarted if it dies)');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: PORTS.temporal,
      ui: true,
      uiPort: PORTS.temporalUi,
      dbFilename: path.join(DATA, 'temporal.db'),
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
    },
  });
  cleanups.push(() => env.teardown());
  return env.address;
}

async function startDatabase(): Promise<string> {
  log('starting embedded PostgreSQL (data in .data/postgres)');
  const { url } = await startSupervisedPostgres(supervisor, {
    dataDir: path.join(DATA, 'postgres'),
    port: PORTS.postgres,
    database: 'settle',
  });
  return url;
}

/** Anvil with state kept in .data, the test USDT deployed once, and a networks file pointing at both. */
async function startChain(): Promise<string> {
  log(`starting local chain (Anvil) on 127.0.0.1:${PORTS.chain}`);
  const chain = await startSupervisedChain(supervisor, {
    dir: DATA,
    port: PORTS.chain,
    tokenDecimals: Number(process.env.SETTLE_DEV_TOKEN_DECIMALS ?? 18),
  });
  log(`test USDT at ${chain.token}`);
  return chain.networksFile;
}

/** The dev merchant's test key, kept in .data (local only) so every start prints a working key. */
async function devApiKey(pool: Pool): Promise<string> {
  const file = path.join(DATA, 'dev-credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { apiKey: string };
    const valid = await pool.query('SELECT 1 FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [
      hashApiKey(saved.apiKey),
    ]);
    if (valid.rowCount) return saved.apiKey;
  }
  const { merchant, key } = await createDevMerchant(pool, 'Dev merchant', 'npm start');
  writeFileSync(file, JSON.stringify({ merchantId: merchant.id, apiKey: key, callbackSecretTest: merchant.callbackSecretTest }), {
    mode: 0o600,
  });
  return key;
}

/** Creates a sample invoice and says how to open its checkout page and pay it, in two steps. */
async function sampleInvoice(apiUrl: string, apiKey: string): Promise<string> {
  try {
    const res = await fetch(`${apiUrl}/v1/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ amount: '25.00', description: 'Sample order (npm start)' }),
    });
    const { data } = (await res.json()) as { data?: { id: string; checkout_url: string } };
    if (!data) throw new Error(`HTTP ${res.status}`);
    const simulate = (amount: string) =>
      `curl -s -X POST ${apiUrl}/api/v1/simulate/deposit -H "Authorization: Bearer ${apiKey}" -d '{"invoice_id":"${data.id}"${amount}}'`;
    return `
  Sample checkout  ${data.checkout_url}
    Open it, then pay part of it:  ${simulate(', "amount": "10.00"')}
    and the rest:                  ${simulate('')}`;
  } catch (err) {
    return `  (no sample checkout link: ${(err as Error).message})`;
  }
}

function readOrCreateSecret(name: string, create: () => string): string {
  const file = path.join(DATA, name);
  if (!existsSync(file)) writeFileSync(file, create(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping');
  await supervisor.stopAll();
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  console.error(`[settle] could not start: ${(err as Error).message}`);
  await shutdown(1);
});
