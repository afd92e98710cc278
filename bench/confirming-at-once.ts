import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { Contract, JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { Pool } from 'pg';
import { erc20Interface } from '../activities/chain/erc20';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import type { BenchStack } from './dev-stack';
import type { BenchRow } from './table';

/** The activities a deposit runs to be detected (saveDeposit, publishEvent); the figure counts those after them. */
const DETECTION_ACTIVITIES = 2;

/**
 * Many deposits confirming at once: `count` token transfers to one customer's address, sent
 * together so they land in the same few blocks, followed until every deposit is completed. Counts
 * the activities (and local activities) each deposit's history holds beyond detection, and samples
 * the worker's resident memory throughout.
 */
export async function benchConfirmingAtOnce(stack: BenchStack, count: number): Promise<BenchRow[]> {
  const provider = new JsonRpcProvider(stack.rpcUrl, 31337, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  const faucet = new NonceManager(new Wallet(LOCAL_FAUCET_KEY, provider));
  const token = new Contract(stack.token, erc20Interface, faucet);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, workerRss(stack))), 250);
  try {
    const res = await fetch(`${stack.apiUrl}/api/v1/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
      body: JSON.stringify({ name: 'bench' }),
    });
    const customer = (await res.json()) as { data: { addresses: Array<{ network: string; address: string }> } };
    const address = customer.data.addresses.find((a) => a.network === 'local')!.address;
    await (await token.getFunction('mint')(await faucet.getAddress(), 10n ** 30n)).wait();
    const rssBefore = workerRss(stack);
    const started = performance.now();
    const sent = await Promise.all(
      Array.from({ length: count }, () => token.getFunction('transfer')(address, 10n ** 18n, { gasLimit: 100_000 })),
    );
    const receipts = await Promise.all(sent.map((tx) => tx.wait()));
    const hashes = receipts.map((r) => (r.hash as string).toLowerCase());
    const blocks = new Set(receipts.map((r) => r.blockNumber as number));
    // A busy machine may not finish them all: the figure then covers those that did, and says so.
    const deadline = Date.now() + 240_000;
    let completed = 0;
    while (completed < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const done = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM deposits WHERE tx_hash = ANY($1) AND status = 'completed'",
        [hashes],
      );
      completed = Number(done.rows[0]!.n);
    }
    const seconds = (performance.now() - started) / 1000;

    const client = new Client({ connection });
    const ids = await pool.query<{ id: string }>("SELECT id FROM deposits WHERE tx_hash = ANY($1) AND status = 'completed'", [
      hashes,
    ]);
    if (!ids.rows.length) throw new Error(`no deposit completed within ${seconds.toFixed(0)} s`);
    let beyond = 0;
    let worst = 0;
    for (const { id } of ids.rows) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const activities = (history.events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      ).length;
      const after = activities - DETECTION_ACTIVITIES;
      beyond += after;
      worst = Math.max(worst, after);
    }
    const mean = beyond / ids.rows.length;
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    return [
      {
        figure: `${count} deposits confirming at once`,
        baseline: '—',
        settle: `${mean.toFixed(1)} activities each beyond detection (max ${worst})`,
        ratio: '—',
        target: '≤ 2 activities each; worker memory reported',
        met: worst <= 2,
        note: `${blocks.size} blocks; ${completed} of ${count} completed ${seconds.toFixed(1)} s after sending; worker RSS ${mb(rssBefore)} → peak ${mb(peakRss)}`,
      },
    ];
  } finally {
    clearInterval(sampler);
    provider.destroy();
    await pool.end();
    await connection.close();
  }
}

/** Resident memory of the worker process(es), from /proc. */
function workerRss(stack: BenchStack): number {
  let total = 0;
  for (const pid of stack.pids()) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/main')) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += rss ? Number(rss[1]) * 1024 : 0;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}
