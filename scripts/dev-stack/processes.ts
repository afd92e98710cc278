import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A free TCP port on 127.0.0.1, chosen by the OS, other than `taken`: ports a stack has chosen but
 * whose servers have not bound them yet are free to the kernel, which may hand one out again.
 */
export async function freePort(taken: Iterable<number> = []): Promise<number> {
  const excluded = new Set(taken);
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!excluded.has(port)) return port;
  }
}

/** Binaries recorded by scripts/provision/all.sh; env variables win. Empty means "let the SDK download". */
export function provisionedBinaries(): { temporalCli?: string; testServer?: string; python?: string } {
  const cache = process.env.SETTLE_CACHE ?? path.join(os.homedir(), '.cache', 'settle');
  const recorded: Record<string, string> = {};
  try {
    for (const line of readFileSync(path.join(cache, 'binaries.env'), 'utf8').split('\n')) {
      const [k, ...v] = line.split('=');
      if (k && v.join('=')) recorded[k] = v.join('=');
    }
  } catch {
    // provisioning has not run; fall back to the SDK's downloads
  }
  return {
    temporalCli: process.env.TEMPORAL_CLI_PATH || recorded.TEMPORAL_CLI_PATH || undefined,
    testServer: process.env.TEMPORAL_TEST_SERVER_PATH || recorded.TEMPORAL_TEST_SERVER_PATH || undefined,
    python: process.env.SETTLE_PYTHON || recorded.SETTLE_PYTHON || undefined,
  };
}

/** Starts the embedded PostgreSQL child and resolves with its URL once it accepts connections. */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
): Promise<{ url: string; dataDir: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'embedded-postgres.mjs'), dataDir, String(port)], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { url, dataDir: actualDir } = await new Promise<{ url: string; dataDir: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/READY (\S+) DATADIR (.+)\n/);
      if (m) resolve({ url: m[1]!, dataDir: m[2]! });
    });
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited with code ${code} (its reason and the fix are printed above)`)),
    );
  });
  return { url, dataDir: actualDir, child, stop: () => stopChild(child) };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
