import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { migrate } from '../../activities/db/migrate';
import { freePort } from '../dev-stack/processes';
import { createDatabaseOnce, startSupervisedChain, startSupervisedPostgres, waitFor } from '../dev-stack/supervised-parts';
import { Supervisor } from '../dev-stack/supervisor';
import { PAYMENT_WORKER_ENV, WEBHOOK_WORKER_ENV } from '../dev-stack/worker-kinds';
import { writeWorkflowBundle } from '../dev-stack/workflow-bundle-file';
import { ensureNamespace, prepareTemporalServer } from './temporal-server';

const ROOT = path.resolve(__dirname, '../..');

export interface ClusterOptions {
  /** Everything the cluster keeps: configs, chain state, logs, the workflow bundle. */
  dir: string;
  /** A PostgreSQL server (its `postgres` database URL); without one an embedded server runs under the supervisor. */
  serverUrl?: string;
  /** Prefix of the databases the cluster creates on that server (Settle's, Temporal's and its visibility's). */
  name?: string;
  masterSeed: string;
  checkoutSecret: string;
  apis?: number;
  /** Payment workers (payments, test payments, chain watchers), 2 by default. */
  workers?: number;
  /** Webhook workers (deliveries alone, no seed), 2 by default. */
  webhookWorkers?: number;
  /** API ports; free ones when not given. */
  apiPorts?: number[];
  /** Each process's output goes to `<dir>/logs/<name>.log` instead of this process's stdout. */
  logToFiles?: boolean;
  /** SETTLE_LOG_LEVEL of the APIs and workers; by default the caller's, else info. */
  logLevel?: string;
  /** A prebuilt workflow bundle; otherwise one is built into `dir` for every worker to load. */
  workflowBundle?: string;
  log?: (line: string) => void;
}

/**
 * Settle as a production deployment shaped on one machine: a Temporal server on PostgreSQL
 * (persistence and visibility, schema set up by Temporal's SQL tool), Anvil, and several Settle
 * APIs, payment workers and webhook workers sharing that cluster and one database, every process
 * supervised.
 */
export class ClusterStack {
  readonly supervisor: Supervisor;
  apiUrls: string[] = [];
  workerUrls: string[] = [];
  workerNames: string[] = [];
  temporalAddress = '';
  temporalMetricsUrl = '';
  databaseUrl = '';
  rpcUrl = '';
  token = '';
  readonly namespace = 'default';
  readonly taskQueue = 'settle';

  constructor(private readonly options: ClusterOptions) {
    this.supervisor = new Supervisor(options.log ?? ((line) => console.log(`[cluster] ${line}`)));
  }

  get logDir(): string {
    return path.join(this.options.dir, 'logs');
  }

  async start(): Promise<void> {
    const { dir } = this.options;
    const name = this.options.name ?? 'settle_cluster';
    mkdirSync(this.logDir, { recursive: true });
    // Traversable by the unprivileged user embedded PostgreSQL runs as under root.
    chmodSync(dir, 0o755);
    const logFile = (process: string) => (this.options.logToFiles ? path.join(this.logDir, `${process}.log`) : undefined);

    let serverUrl = this.options.serverUrl;
    if (!serverUrl) {
      const pg = await startSupervisedPostgres(this.supervisor, {
        dataDir: path.join(dir, 'postgres'),
        port: await freePort(),
        database: name,
        logFile: logFile('postgres'),
      });
      serverUrl = pg.serverUrl;
    }
    await createDatabaseOnce(serverUrl, name);
    this.databaseUrl = withDatabase(serverUrl, name);
    const pool = new Pool({ connectionString: this.databaseUrl, max: 1 });
    await migrate(pool);
    await pool.end();

    const temporal = await prepareTemporalServer({ serverUrl, name: `${name}_temporal`, dir: path.join(dir, 'temporal') });
    this.temporalAddress = temporal.address;
    this.temporalMetricsUrl = temporal.metricsUrl;
    this.supervisor.run({ name: 'temporal', command: temporal.command, args: temporal.args, logFile: logFile('temporal') });
    await waitFor('Temporal', () => ensureNamespace(temporal.address, this.namespace), 180_000);

    const chain = await startSupervisedChain(this.supervisor, { dir, port: await freePort(), tokenDecimals: 18 });
    this.rpcUrl = chain.rpcUrl;
    this.token = chain.token;
    const bundle = this.options.workflowBundle ?? (await writeWorkflowBundle(path.join(this.options.dir, 'workflow-bundle.js')));

    // Only payment workers get the seed, even when it came from the caller's environment.
    const inherited = { ...process.env };
    delete inherited.SETTLE_MASTER_SEED;
    const env = {
      ...inherited,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: this.namespace,
      SETTLE_TASK_QUEUE: this.taskQueue,
      SETTLE_NETWORKS_FILE: chain.networksFile,
      // Local chain: test-mode webhooks may go to a receiver on this machine.
      SETTLE_TEST_MODE_PRIVATE_WEBHOOKS: 'true',
      SETTLE_LOG_LEVEL: this.options.logLevel ?? process.env.SETTLE_LOG_LEVEL ?? 'info',
    };
    const kinds = [
      // Every payment worker asks for the watcher; the workflow id keeps it to one per network.
      {
        prefix: 'worker',
        count: this.options.workers ?? 2,
        env: { ...PAYMENT_WORKER_ENV, SETTLE_MASTER_SEED: this.options.masterSeed, SETTLE_WATCH_NETWORKS: 'local' },
      },
      { prefix: 'webhook-worker', count: this.options.webhookWorkers ?? 2, env: WEBHOOK_WORKER_ENV },
    ];
    for (const kind of kinds)
      for (let i = 1; i <= kind.count; i++) {
        const httpPort = await freePort();
        const name = `${kind.prefix}-${i}`;
        this.supervisor.run({
          name,
          command: process.execPath,
          args: ['--import', 'tsx', 'worker/main.ts'],
          cwd: ROOT,
          logFile: logFile(name),
          env: {
            ...env,
            ...kind.env,
            SETTLE_WORKFLOW_BUNDLE: bundle,
            SETTLE_WORKER_HTTP_PORT: String(httpPort),
            SETTLE_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
          },
        });
        this.workerNames.push(name);
        this.workerUrls.push(`http://127.0.0.1:${httpPort}`);
      }
    for (let i = 1; i <= (this.options.apis ?? 2); i++) {
      const port = this.options.apiPorts?.[i - 1] ?? (await freePort());
      const name = `api-${i}`;
      this.supervisor.run({
        name,
        command: process.execPath,
        args: ['--import', 'tsx', 'api/main.ts'],
        cwd: ROOT,
        logFile: logFile(name),
        // The API gets no seed: it never holds key material.
        env: { ...env, PORT: String(port), HOST: '127.0.0.1', SETTLE_CHECKOUT_SECRET: this.options.checkoutSecret },
      });
      this.apiUrls.push(`http://127.0.0.1:${port}`);
    }
    for (const url of [...this.apiUrls, ...this.workerUrls]) {
      await waitFor(
        url,
        async () => {
          if (!(await fetch(`${url}/readyz`)).ok) throw new Error('not ready');
        },
        180_000,
      );
    }
  }

  async stop(): Promise<void> {
    await this.supervisor.stopAll();
  }
}

/** A fresh random secret, hex. */
export const randomSecret = () => randomBytes(32).toString('hex');

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
