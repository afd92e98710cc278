import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Pool } from 'pg';
import { createPool } from '../../activities/db/pool';
import { migrate } from '../../activities/db/migrate';
import { NetworkRegistryConfig } from '../../domain/networks';
import { deployTestToken, startAnvil, type LocalChain } from '../../scripts/dev-stack/local-chain';
import { freePort, provisionedBinaries } from '../../scripts/dev-stack/processes';
import { temporalStoreArgs } from '../../scripts/dev-stack/temporal-store';
import type { HostileRpc } from '../harness/hostile-rpc';
import { SupervisedProcess, waitFor } from './processes';
import { workflowBundleOptions } from '../../worker/workflow-bundle-options';

const ROOT = path.resolve(__dirname, '../..');

export interface SoakStackOptions {
  dir: string;
  /** Hex master seed of the Settle worker (derived from the soak seed, so addresses repeat per seed). */
  masterSeed: string;
  /** A PostgreSQL server to create the soak's database on; without one the soak runs (and kills) its own. */
  databaseUrl?: string;
  confirmations: number;
  /** Puts a proxy between the worker and Anvil; receives Anvil's URL. */
  rpcFront?: (upstream: string) => Promise<HostileRpc>;
  /** Prebuilt workflow bundle; otherwise built once into `dir`. */
  workflowBundle?: string;
  /** Extra environment of the worker process (crash points, for example). */
  workerEnv?: NodeJS.ProcessEnv;
}

/**
 * The whole of Settle as separate processes, like a deployment: Temporal dev server, PostgreSQL
 * (owned only when no server is given), Anvil with 1 s blocks, the worker and the API. Every
 * process but Anvil can be SIGKILLed and comes back by itself (supervised), on the same ports and data.
 */
export class SoakStack {
  readonly processes: SupervisedProcess[] = [];
  chain!: LocalChain;
  rpc?: HostileRpc;
  token = '';
  /** A second ERC-20 Settle does not know: paying with it must credit nothing. */
  wrongToken = '';
  apiUrl = '';
  databaseUrl = '';
  temporalAddress = '';
  pool!: Pool;
  private dropDatabase?: () => Promise<void>;

  constructor(readonly options: SoakStackOptions) {}

  async start(): Promise<void> {
    chmodSync(this.options.dir, 0o755);
    await this.startDatabase();
    await this.startTemporal();
    this.chain = await startAnvil({ port: await freePort(), blockTimeSeconds: 1 });
    this.token = await deployTestToken(this.chain.provider, 18);
    this.wrongToken = await deployTestToken(this.chain.provider, 18);
    this.rpc = this.options.rpcFront ? await this.options.rpcFront(this.chain.rpcUrl) : undefined;
    const networksFile = this.writeNetworks(this.rpc?.url ?? this.chain.rpcUrl);
    const bundle = this.options.workflowBundle ?? (await this.buildBundle());

    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    const env = {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      SETTLE_NETWORKS_FILE: networksFile,
      SETTLE_TASK_QUEUE: 'settle-soak',
      SETTLE_TEST_MODE_PRIVATE_WEBHOOKS: 'true',
      // Their logs go to files in `dir`; a test runner's quiet setting must not empty them.
      SETTLE_LOG_LEVEL: 'info',
    };
    this.addProcess('worker', process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      ...env,
      SETTLE_MASTER_SEED: this.options.masterSeed,
      SETTLE_WATCH_NETWORKS: 'local',
      SETTLE_WORKFLOW_BUNDLE: bundle,
      // Ports of its own, so that stacks side by side (and a dev stack) never collide.
      SETTLE_WORKER_HTTP_PORT: String(await freePort()),
      SETTLE_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      ...this.options.workerEnv,
    });
    this.addProcess('api', process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      ...env,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      SETTLE_CHECKOUT_SECRET: createHash('sha256').update(`checkout:${this.options.masterSeed}`).digest('hex'),
    });
    await waitFor(async () => (await fetch(`${this.apiUrl}/health`)).ok, 'the API', 120_000);
  }

  /** The processes a crash may hit: all but Anvil, which stands for the outside world. */
  killable(): SupervisedProcess[] {
    return this.processes;
  }

  /** Waits until every supervised process is up again and the API answers. */
  async waitHealthy(timeoutMs = 120_000): Promise<void> {
    await waitFor(async () => this.processes.every((p) => p.running), 'every process to run', timeoutMs);
    await waitFor(async () => (await fetch(`${this.apiUrl}/health`)).ok, 'the API', timeoutMs);
  }

  async stop(): Promise<void> {
    const db = this.processes.find((p) => p.name === 'postgres');
    await Promise.all(this.processes.filter((p) => p !== db).map((p) => p.stop()));
    await this.pool?.end().catch(() => undefined);
    await this.dropDatabase?.().catch(() => undefined);
    await db?.stop();
    await this.rpc?.stop();
    await this.chain?.stop();
  }

  /** Process exit: nothing the soak started may outlive it. */
  killAll(): void {
    for (const p of this.processes) p.killNow();
    this.chain?.process.kill('SIGKILL');
  }

  private addProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): SupervisedProcess {
    const p = new SupervisedProcess(name, command, args, {
      cwd: ROOT,
      env,
      logFile: path.join(this.options.dir, `${name}.log`),
      restartDelayMs: 1000,
    });
    this.processes.push(p);
    p.start();
    return p;
  }

  private async startDatabase(): Promise<void> {
    let serverUrl = this.options.databaseUrl;
    if (!serverUrl) {
      const port = await freePort();
      this.addProcess(
        'postgres',
        process.execPath,
        [path.join(ROOT, 'scripts/dev-stack/embedded-postgres.mjs'), path.join(this.options.dir, 'pg'), String(port)],
        process.env,
      );
      serverUrl = `postgres://settle:settle@127.0.0.1:${port}/postgres`;
      await waitFor(
        async () => {
          const probe = new Pool({ connectionString: serverUrl, max: 1 });
          try {
            await probe.query('SELECT 1');
            return true;
          } finally {
            await probe.end();
          }
        },
        'embedded PostgreSQL',
        180_000,
      );
    }
    const admin = new Pool({ connectionString: serverUrl, max: 1 });
    const name = `settle_soak_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    this.databaseUrl = url.toString();
    this.pool = createPool(this.databaseUrl, 4);
    await migrate(this.pool);
    if (this.options.databaseUrl) {
      this.dropDatabase = async () => {
        const a = new Pool({ connectionString: serverUrl, max: 1 });
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      };
    }
  }

  private async startTemporal(): Promise<void> {
    const { temporalCli } = provisionedBinaries();
    if (!temporalCli) throw new Error('the soak needs the provisioned temporal CLI: run `npm run provision`');
    const port = await freePort();
    this.temporalAddress = `127.0.0.1:${port}`;
    // A file-backed store, so a SIGKILLed server comes back with every workflow it had.
    this.addProcess(
      'temporal',
      temporalCli,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--http-port',
        String(await freePort()),
        '--metrics-port',
        String(await freePort()),
        '--headless',
        ...temporalStoreArgs(path.join(this.options.dir, 'temporal.db')),
        '--log-level',
        'error',
      ],
      process.env,
    );
  }

  private writeNetworks(rpcUrl: string): string {
    const base = NetworkRegistryConfig.parse(JSON.parse(readFileSync(path.join(ROOT, 'config/networks.json'), 'utf8')));
    base.networks = base.networks.map((n) =>
      n.id === 'local'
        ? {
            ...n,
            rpcUrls: [rpcUrl],
            confirmations: this.options.confirmations,
            blockTimeMs: 1000,
            tokens: [{ symbol: 'USDT', address: this.token, decimals: 18 }],
          }
        : n,
    );
    const file = path.join(this.options.dir, 'networks.json');
    writeFileSync(file, JSON.stringify(base, null, 2));
    return file;
  }

  private async buildBundle(): Promise<string> {
    const file = path.join(this.options.dir, 'workflow-bundle.js');
    if (!existsSync(file)) {
      const bundle = await bundleWorkflowCode({ ...workflowBundleOptions, logger: silentLogger });
      writeFileSync(file, bundle.code);
    }
    return file;
  }
}

const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
