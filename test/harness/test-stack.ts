import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type NativeConnection, Runtime } from '@temporalio/worker';
import { Contract, Wallet } from 'ethers';
import { Pool } from 'pg';
import { migrate } from '../../activities/db/migrate';
import { createApiKey, createMerchant, type NewMerchant } from '../../activities/db/merchants';
import { createPool } from '../../activities/db/pool';
import { erc20Interface } from '../../activities/chain/erc20';
import { createApp } from '../../api/app';
import type { CheckoutSettings } from '../../api/checkout/settings';
import type { ObjectCaps } from '../../api/object-caps';
import type { RateLimits } from '../../api/rate-limit';
import { answerClientErrorsAsJson } from '../../api/client-errors';
import { API_ROUTERS } from '../../api/routers';
import type { ApiScope } from '../../domain/api-schemas';
import { type NetworkConfig, NetworkRegistry, NetworkRegistryConfig } from '../../domain/networks';
import { deployTestToken, LOCAL_FAUCET_KEY, startAnvil, type LocalChain } from '../../scripts/dev-stack/local-chain';
import { freePort } from '../../scripts/dev-stack/processes';
import { createSettleWorker, type SettleWorker } from '../../worker/create-worker';
import { registerSearchAttributes } from '../../activities/temporal/register-search-attributes';
import { ensureChainWatchers } from '../../worker/start-chain-watchers';
import { startDevServer } from './dev-server';
import { startHostileRpc, type HostileRpc, type HostileRpcOptions } from './hostile-rpc';

export interface StackOptions {
  /** A time-skipping environment; without one the shared dev server is used. */
  timeSkipping?: TestWorkflowEnvironment;
  tokenDecimals?: number;
  confirmations?: number;
  blockTimeMs?: number;
  /** Start the chain watcher for the local network. */
  watch?: boolean;
  /** Mine a block every N seconds, as `npm start` does, instead of only one per transaction. */
  anvilBlockTimeSeconds?: number;
  /** How long API requests wait for a workflow step before answering 503. */
  workflowWaitMs?: number;
  /** Caps on objects per merchant (SETTLE_MAX_* in production). */
  objectCaps?: Partial<ObjectCaps>;
  /** Express `trust proxy` for the API (as SETTLE_TRUST_PROXY sets it in production). */
  trustProxy?: false | number | string[];
  /** Put the hostile RPC proxy between Settle and Anvil (tests still drive Anvil directly through `chain`). */
  hostileRpc?: Omit<HostileRpcOptions, 'upstream'>;
  /** Checkout page settings (rate limit, framing, redirect delay). */
  checkout?: Partial<CheckoutSettings>;
  /** Per-key API rate limits; off unless given, so tests that create many objects measure what they mean to. */
  rateLimits?: RateLimits;
  /** How long a withdrawal's transaction may stay unmined before it is repriced or reported (network `stuckAfterMs`). */
  stuckAfterMs?: number;
  /** The local network's `nativeScan` setting (config default: `all`). */
  nativeScan?: NetworkConfig['nativeScan'];
  /** Delivery slots per merchant (SETTLE_WEBHOOK_CONCURRENCY_PER_MERCHANT); the worker's default unless given. */
  deliveriesPerMerchant?: number;
}

/**
 * Everything one test file needs, all real: its own PostgreSQL database, Anvil chain with a test
 * USDT, Temporal namespace and task queue, a Settle worker and the HTTP API on a free port.
 */
export class TestStack {
  worker!: SettleWorker;
  private workerRun?: Promise<void>;
  private server?: Server;
  apiUrl = '';
  databaseUrl = '';
  /** Where the Temporal server listens, for tests that open connections of their own (a second worker). */
  temporalAddress = '';
  readonly seed = randomBytes(32).toString('hex');
  readonly taskQueue = `settle-${randomBytes(4).toString('hex')}`;
  /** The proxy Settle's chain reads go through, when `hostileRpc` was given. */
  rpc?: HostileRpc;

  private constructor(
    readonly options: StackOptions,
    readonly pool: Pool,
    private readonly adminPool: Pool,
    readonly dbName: string,
    readonly chain: LocalChain,
    readonly token: string,
    readonly registry: NetworkRegistry,
    readonly namespace: string,
    readonly nativeConnection: NativeConnection,
    readonly connection: Connection,
    readonly client: Client,
    /** The dev server this stack started (none when the caller passed a time-skipping environment). */
    private readonly ownServer?: TestWorkflowEnvironment,
  ) {}

  static async start(options: StackOptions = {}): Promise<TestStack> {
    installQuietRuntime();
    const adminPool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    const dbName = `settle_test_${randomBytes(6).toString('hex')}`;
    await adminPool.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${dbName}`;
    const pool = createPool(url.toString(), 20);
    await migrate(pool);

    const chain = await startAnvil({ port: await freePort(), blockTimeSeconds: options.anvilBlockTimeSeconds });
    const token = await deployTestToken(chain.provider, options.tokenDecimals ?? 18);
    const rpc = options.hostileRpc && (await startHostileRpc({ upstream: chain.rpcUrl, ...options.hostileRpc }));
    const registry = testRegistry(rpc ? rpc.url : chain.rpcUrl, token, options);

    const namespace = 'default';
    // A dev server of the file's own: a worker shutdown in one file cannot disturb another's server.
    const temporal = options.timeSkipping ?? (await startDevServer());
    const nativeConnection = temporal.nativeConnection;
    const connection = temporal.connection;
    await registerSearchAttributes(connection, namespace);
    const client = new Client({ connection, namespace });
    const stack = new TestStack(
      options,
      pool,
      adminPool,
      dbName,
      chain,
      token,
      registry,
      namespace,
      nativeConnection,
      connection,
      client,
      options.timeSkipping ? undefined : temporal,
    );
    stack.databaseUrl = url.toString();
    stack.temporalAddress = temporal.address;
    stack.rpc = rpc || undefined;
    await stack.startWorker();
    await stack.startApi();
    if (options.watch) {
      await ensureChainWatchers(connection, namespace, stack.taskQueue, registry, ['local']);
    }
    return stack;
  }

  /** Starts (or restarts, after stopWorker) the Settle worker on this stack's task queue. */
  async startWorker(): Promise<void> {
    this.worker = await createSettleWorker({
      connection: this.nativeConnection,
      clientConnection: this.connection,
      namespace: this.namespace,
      taskQueue: this.taskQueue,
      pool: this.pool,
      registry: this.registry,
      masterSeedHex: this.seed,
      deliveriesPerMerchant: this.options.deliveriesPerMerchant,
      workflowBundle: { code: readFileSync(process.env.SETTLE_TEST_WORKFLOW_BUNDLE!, 'utf8') },
    });
    this.workerRun = this.worker.run();
  }

  /** Stops the worker the way a crash would look to Temporal: in-flight tasks are abandoned and retried elsewhere. */
  async stopWorker(): Promise<void> {
    this.worker.shutdown();
    await this.workerRun;
    this.worker.close();
  }

  private async startApi(): Promise<void> {
    const app = createApp(
      {
        pool: this.pool,
        temporal: this.client,
        registry: this.registry,
        taskQueue: this.taskQueue,
        monitorWindowSeconds: 86_400,
        workflowWaitMs: this.options.workflowWaitMs,
        checkout: this.options.checkout,
        objectCaps: this.options.objectCaps,
        rateLimits: this.options.rateLimits,
      },
      { extraRouters: API_ROUTERS, trustProxy: this.options.trustProxy },
    );
    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
    answerClientErrorsAsJson(this.server!);
    const address = this.server!.address();
    this.apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async merchant(options: Partial<NewMerchant> & { scopes?: ApiScope[]; ipAllowlist?: string[]; livemode?: boolean } = {}) {
    const merchant = await createMerchant(this.pool, { name: 'Test merchant', ...options });
    const { key } = await createApiKey(this.pool, {
      merchantId: merchant.id,
      livemode: options.livemode ?? false,
      scopes: options.scopes ?? ['read', 'write', 'withdraw', 'webhooks'],
      ipAllowlist: options.ipAllowlist,
    });
    return { ...merchant, key };
  }

  /** Calls the API like a merchant's code would. */
  async api(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: res.status, body: json, headers: res.headers };
  }

  /** Sends test USDT from the faucet to `to` (minting it first); returns the transaction hash. */
  async sendToken(to: string, amountBaseUnits: bigint): Promise<string> {
    const faucet = new Wallet(LOCAL_FAUCET_KEY, this.chain.provider);
    const token = new Contract(this.token, erc20Interface, faucet);
    await (await token.getFunction('mint')(faucet.address, amountBaseUnits)).wait();
    const tx = await token.getFunction('transfer')(to, amountBaseUnits);
    await tx.wait();
    return tx.hash as string;
  }

  async mine(blocks: number): Promise<void> {
    await this.chain.provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
  }

  async stop(): Promise<void> {
    if (this.options.watch) {
      await this.client.workflow
        .getHandle('chain-watcher-local')
        .terminate('test finished')
        .catch(() => undefined);
    }
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
    await this.stopWorker();
    await this.ownServer?.teardown();
    await this.pool.end();
    await this.adminPool.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
    await this.adminPool.end();
    await this.rpc?.stop();
    await this.chain.stop();
  }
}

let runtimeInstalled = false;
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier stack in this process
  }
}

function testRegistry(rpcUrl: string, token: string, options: StackOptions): NetworkRegistry {
  const base = NetworkRegistryConfig.parse(JSON.parse(readFileSync(path.join(__dirname, '../../config/networks.json'), 'utf8')));
  return new NetworkRegistry({
    ...base,
    networks: base.networks.map((n) =>
      n.id === 'local'
        ? {
            ...n,
            rpcUrls: [rpcUrl],
            confirmations: options.confirmations ?? 3,
            blockTimeMs: options.blockTimeMs ?? 200,
            ...(options.stuckAfterMs ? { stuckAfterMs: options.stuckAfterMs } : {}),
            nativeScan: options.nativeScan ?? n.nativeScan,
            tokens: n.tokens.map((t) => ({ ...t, address: token, decimals: options.tokenDecimals ?? 18 })),
          }
        : n,
    ),
  });
}

/** Polls until `check` returns a value (not undefined), or fails after the deadline. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
