import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { status } from '@grpc/grpc-js';
import { msToTs } from '@temporalio/common/lib/time';
import { Pool } from 'pg';
import { parse } from 'yaml';
import { freePort } from '../dev-stack/processes';

const ROOT = path.resolve(__dirname, '../..');
/** The Temporal dynamic config docker-compose.yml mounts into its Temporal service. */
const DEPLOYMENT_DYNAMIC_CONFIG = path.join(ROOT, 'config/temporal-dynamic-config.yaml');

/** The Temporal server and its SQL tool, built by scripts/provision/temporal-server.sh (cached after the first run). */
export function provisionedTemporalServer(): { server: string; sqlTool: string; schemaDir: string } {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/provision/temporal-server.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .toString()
    .trim();
  const [server, sqlTool, schemaDir] = out.split(' ');
  if (!server || !sqlTool || !schemaDir) throw new Error('no Temporal server: install Go and run `npm run provision`');
  return { server, sqlTool, schemaDir };
}

export interface TemporalServerSpec {
  /** Frontend gRPC address clients and workers connect to. */
  address: string;
  command: string;
  args: string[];
  /** The server's own Prometheus endpoint. */
  metricsUrl: string;
}

/**
 * Prepares a Temporal server on PostgreSQL as an operator would: two databases of its own on
 * `serverUrl` (persistence and visibility, named after `name`), their schema set up and brought to
 * the latest version by Temporal's SQL tool, and a config file with free ports. Idempotent: a second
 * call with the same name and dir keeps the data and only updates the schema.
 */
export async function prepareTemporalServer(options: {
  serverUrl: string;
  name: string;
  dir: string;
}): Promise<TemporalServerSpec> {
  const { server, sqlTool, schemaDir } = provisionedTemporalServer();
  const pg = new URL(options.serverUrl);
  const databases = { default: `${options.name}`, visibility: `${options.name}_visibility` };
  const connection = [
    ...['--plugin', 'postgres12', '--endpoint', pg.hostname, '--port', pg.port || '5432'],
    ...['--user', decodeURIComponent(pg.username), '--password', decodeURIComponent(pg.password)],
  ];
  const admin = new Pool({ connectionString: options.serverUrl, max: 1 });
  try {
    for (const [store, db] of Object.entries(databases)) {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!exists.rowCount) await admin.query(`CREATE DATABASE ${db}`);
      const tool = (...args: string[]) =>
        execFileSync(sqlTool, [...connection, '--database', db, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const schema = path.join(schemaDir, 'postgresql/v12', store === 'default' ? 'temporal' : 'visibility');
      // setup-schema -v 0.0 creates only the version table (once); update-schema applies every versioned step.
      if (!(await hasSchemaVersionTable(options.serverUrl, db))) tool('setup-schema', '-v', '0.0');
      tool('update-schema', '-d', path.join(schema, 'versioned'));
    }
  } finally {
    await admin.end();
  }

  const port = async () => freePort();
  const frontend = await port();
  const metricsPort = await port();
  const store = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${pg.hostname}:${pg.port || '5432'}`,
      connectProtocol: 'tcp',
      user: decodeURIComponent(pg.username),
      password: decodeURIComponent(pg.password),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = async (grpcPort: number) => ({
    rpc: { grpcPort, membershipPort: await membershipPort(), bindOnLocalHost: true },
  });
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store(databases.default, 10), visibility: store(databases.visibility, 4) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${metricsPort}` } },
    },
    services: {
      frontend: { rpc: { ...(await service(frontend)).rpc, httpPort: await port() } },
      history: await service(await port()),
      matching: await service(await port()),
      worker: await service(await port()),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${frontend}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: path.join(options.dir, 'dynamicconfig.yaml'), pollInterval: '10s' },
  };
  const dynamicConfig = {
    // What the docker-compose deployment runs with, so the cluster test proves that file.
    ...(parse(readFileSync(DEPLOYMENT_DYNAMIC_CONFIG, 'utf8')) as Record<string, unknown>),
    // A fresh namespace and new search attributes are usable within a second, not after the default 10 s.
    'system.namespaceCacheRefreshInterval': [{ value: '1s' }],
  };
  mkdirSync(path.join(options.dir, 'config'), { recursive: true });
  // JSON is YAML: the server's config loader reads both.
  writeFileSync(path.join(options.dir, 'config/development.yaml'), JSON.stringify(config, null, 2));
  writeFileSync(path.join(options.dir, 'dynamicconfig.yaml'), JSON.stringify(dynamicConfig, null, 2));
  return {
    address: `127.0.0.1:${frontend}`,
    command: server,
    args: ['--root', options.dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

/**
 * A free port the cluster membership table can store: it keeps ports in a PostgreSQL smallint, and
 * the OS hands out ephemeral ports above 32767.
 */
async function membershipPort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}

/** Registers `namespace` on a fresh cluster (what Temporal's auto-setup image does) and waits until it serves it. */
export async function ensureNamespace(address: string, namespace: string, retentionDays = 3): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) })
      .catch((err: { code?: number }) => {
        if (err.code !== status.ALREADY_EXISTS) throw err;
      });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

async function hasSchemaVersionTable(serverUrl: string, database: string): Promise<boolean> {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  try {
    return !!(await pool.query("SELECT 1 FROM pg_tables WHERE tablename = 'schema_version'")).rowCount;
  } finally {
    await pool.end();
  }
}
