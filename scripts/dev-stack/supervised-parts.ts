import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { NetworkRegistryConfig } from '../../domain/networks';
import { anvilArgs, anvilBinary, deployTestToken, localProvider } from './local-chain';
import type { Supervisor } from './supervisor';

const ROOT = path.resolve(__dirname, '../..');

/** Embedded PostgreSQL under `supervisor`; resolves with the URL of a database named `database` on it (created once). */
export async function startSupervisedPostgres(
  supervisor: Supervisor,
  options: { dataDir: string; port: number; database: string; logFile?: string },
): Promise<{ serverUrl: string; url: string }> {
  const serverUrl = `postgres://settle:settle@127.0.0.1:${options.port}/postgres`;
  supervisor.run({
    name: 'postgres',
    command: process.execPath,
    args: [path.join(__dirname, 'embedded-postgres.mjs'), options.dataDir, String(options.port)],
    logFile: options.logFile,
  });
  await waitFor('PostgreSQL', () => createDatabaseOnce(serverUrl, options.database));
  return { serverUrl, url: serverUrl.replace(/\/postgres$/, `/${options.database}`) };
}

export async function createDatabaseOnce(serverUrl: string, database: string): Promise<void> {
  const admin = new Pool({ connectionString: serverUrl, max: 1 });
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!exists.rowCount) await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
}

/**
 * Anvil under `supervisor` with its state kept in `dir`, the test USDT deployed once, and a
 * networks file (written to `dir`) pointing the local network at both. Returns that file's path.
 */
export async function startSupervisedChain(
  supervisor: Supervisor,
  options: { dir: string; port: number; tokenDecimals: number; blockTimeSeconds?: number },
): Promise<{ networksFile: string; rpcUrl: string; token: string }> {
  const anvil = {
    port: options.port,
    blockTimeSeconds: options.blockTimeSeconds ?? 1,
    stateFile: path.join(options.dir, 'anvil-state.json'),
  };
  supervisor.run({ name: 'anvil', command: anvilBinary(), args: anvilArgs(anvil) });
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const provider = localProvider(rpcUrl);
  await waitFor('Anvil', () => provider.getBlockNumber());
  const recordFile = path.join(options.dir, 'chain.json');
  let token = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')).token as string) : '';
  if (!token || (await provider.getCode(token)) === '0x') {
    token = await deployTestToken(provider, options.tokenDecimals);
    writeFileSync(recordFile, JSON.stringify({ token }));
  }
  provider.destroy();
  const base = NetworkRegistryConfig.parse(JSON.parse(readFileSync(path.join(ROOT, 'config/networks.json'), 'utf8')));
  base.networks = base.networks.map((n) =>
    n.id === 'local'
      ? { ...n, rpcUrls: [rpcUrl], tokens: n.tokens.map((t) => ({ ...t, address: token, decimals: options.tokenDecimals })) }
      : n,
  );
  const networksFile = path.join(options.dir, 'networks.json');
  writeFileSync(networksFile, JSON.stringify(base, null, 2));
  return { networksFile, rpcUrl, token };
}

/** Retries `attempt` until it succeeds, for a dependency the supervisor has just started. */
export async function waitFor(what: string, attempt: () => Promise<unknown>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs / 1000} s`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
