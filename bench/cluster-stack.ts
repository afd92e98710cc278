import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { ClusterStack, randomSecret } from '../scripts/cluster/cluster-stack';
import { createDevMerchant } from '../scripts/dev-stack/dev-merchant';
import { type BenchStack, descendants } from './dev-stack';

/**
 * Settle as `npm run cluster` runs it: a real Temporal server on PostgreSQL, two APIs, two payment
 * workers and two webhook workers, in a temporary directory. The bench talks to the first API, as
 * a client behind a load balancer talks to one. The processes' logs stay in the directory it
 * prints; the rest is removed at the end.
 */
export async function startBenchCluster(log: (line: string) => void): Promise<BenchStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-bench-cluster-'));
  const stack = new ClusterStack({
    dir,
    name: 'settle_bench',
    masterSeed: randomSecret(),
    checkoutSecret: randomSecret(),
    logToFiles: true,
    log: () => undefined,
  });
  const removeAllButLogs = () => {
    for (const entry of readdirSync(dir)) if (entry !== 'logs') rmSync(path.join(dir, entry), { recursive: true, force: true });
  };
  try {
    await stack.start();
  } catch (err) {
    await stack.stop();
    removeAllButLogs();
    throw err;
  }
  log(`cluster logs in ${stack.logDir}`);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  const { merchant, key } = await createDevMerchant(pool, 'Bench merchant', 'bench');
  await pool.end();
  return {
    apiUrl: stack.apiUrls[0]!,
    apiKey: key,
    merchantId: merchant.id,
    databaseUrl: stack.databaseUrl,
    temporalAddress: stack.temporalAddress,
    rpcUrl: stack.rpcUrl,
    token: stack.token,
    // The cluster is supervised by this process: everything it started, not itself.
    pids: () => descendants(process.pid).filter((pid) => pid !== process.pid),
    async stop() {
      await stack.stop();
      removeAllButLogs();
    },
  };
}
