import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopChild } from '../scripts/dev-stack/processes';

/** A running `npm start` stack the bench measures, on free ports and in a data directory of its own. */
export interface BenchStack {
  apiUrl: string;
  apiKey: string;
  merchantId: string;
  databaseUrl: string;
  temporalAddress: string;
  rpcUrl: string;
  token: string;
  /** Every process of the stack (supervisor, Temporal, PostgreSQL, Anvil, worker, API). */
  pids(): number[];
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..');

/** Starts the dev stack exactly as `npm start` does, so the bench measures what a new user runs. */
export async function startBenchStack(): Promise<BenchStack> {
  const data = mkdtempSync(path.join(os.tmpdir(), 'settle-bench-'));
  const chosen: number[] = [];
  const port = async () => {
    chosen.push(await freePort(chosen));
    return chosen.at(-1)!;
  };
  const ports = { api: await port(), temporal: await port(), ui: await port(), pg: await port(), chain: await port() };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SETTLE_DEV_DATA: data,
    PORT: String(ports.api),
    SETTLE_DEV_TEMPORAL_PORT: String(ports.temporal),
    SETTLE_DEV_TEMPORAL_UI_PORT: String(ports.ui),
    SETTLE_DEV_POSTGRES_PORT: String(ports.pg),
    SETTLE_DEV_CHAIN_PORT: String(ports.chain),
  };
  // The bench's stack is the whole dev stack, embedded PostgreSQL included.
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  delete env.SETTLE_NETWORKS_FILE;
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'scripts/dev-stack/start.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  // The stack's own output, kept beside the results for when a figure needs explaining.
  const logFile = path.join(os.tmpdir(), 'settle-bench-stack.log');
  writeFileSync(logFile, '');
  let output = '';
  const record = (c: Buffer) => {
    output += c.toString();
    appendFileSync(logFile, c);
  };
  child.stdout!.on('data', record);
  child.stderr!.on('data', record);
  try {
    await waitFor(
      () => output.includes('Settle is running.'),
      child,
      () => output,
      300_000,
    );
    await waitFor(
      // Both of the stack's workers (payments, webhooks): one still starting would weigh on the first figure.
      () => output.split('settle worker polling').length > 2,
      child,
      () => output,
      120_000,
    );
  } catch (err) {
    // A stack that never came up is still stopped: its Temporal server once outlived the bench.
    await stopChild(child, 'SIGINT');
    rmSync(data, { recursive: true, force: true });
    throw err;
  }
  const credentials = JSON.parse(readFileSync(path.join(data, 'dev-credentials.json'), 'utf8')) as {
    merchantId: string;
    apiKey: string;
  };
  const chain = JSON.parse(readFileSync(path.join(data, 'chain.json'), 'utf8')) as { token: string };
  return {
    apiUrl: `http://127.0.0.1:${ports.api}`,
    apiKey: credentials.apiKey,
    merchantId: credentials.merchantId,
    databaseUrl: `postgres://settle:settle@127.0.0.1:${ports.pg}/settle`,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    rpcUrl: `http://127.0.0.1:${ports.chain}`,
    token: chain.token,
    pids: () => descendants(child.pid!),
    async stop() {
      await stopChild(child, 'SIGINT');
      rmSync(data, { recursive: true, force: true });
    },
  };
}

async function waitFor(ready: () => boolean, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`dev stack exited:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`dev stack not ready after ${timeoutMs / 1000} s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The process and all its descendants, from /proc. */
export function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const all: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    all.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return all;
}
