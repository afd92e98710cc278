import { performance } from 'node:perf_hooks';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { Pool } from 'pg';
import { erc20Interface } from '../activities/chain/erc20';
import { createApiKey, createMerchant } from '../activities/db/merchants';
import { DEFAULT_OBJECT_CAPS } from '../api/object-caps';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { startSilentServer } from '../test/harness/silent-server';
import type { BenchStack } from './dev-stack';
import { cpuDuring } from './idle-cpu';
import { type BenchRow, ms, percentile, times } from './table';
import { mib, peakWorkerRssDuring } from './worker-memory';

/** The noisy merchant's burst: customers created at once, each event a delivery to every silent endpoint. */
const BURST = 30;

interface Round {
  createMs: number[];
  /** Transfer mined → deposit recorded, one per payment. */
  detectMs: number[];
}

/**
 * Issue 14's noisy neighbour against the dev stack: the stack's merchant (B) creates invoices one
 * after another and has one paid, first on a quiet stack, then while merchant A's 16 endpoints
 * never answer and A has just created 30 customers (480 deliveries that hang until their timeout).
 * B's create p99 and detection time (transfer mined → deposit recorded) under the noise, beside
 * the quiet round of the same run. With one payment a round (the default) detection is one sample,
 * and the head poll's phase (up to 100 ms on the dev chain) can decide its ratio; several payments
 * compare the rounds' medians. With `control`, the second round runs with no neighbour either: the
 * spread of the ratios between two quiet rounds, which a noisy round's ratio is read against.
 */
export async function benchNoisyNeighbour(
  stack: BenchStack,
  creates: number,
  payments = 1,
  control = false,
): Promise<BenchRow[]> {
  if (payments > creates) throw new Error(`${payments} payments need as many invoices; ${creates} are created`);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  const provider = new JsonRpcProvider(stack.rpcUrl, 31337, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  const faucet = new Wallet(LOCAL_FAUCET_KEY, provider);
  const token = new Contract(stack.token, erc20Interface, faucet);
  const silent = await startSilentServer();
  try {
    const round = async (tag: string): Promise<Round> => {
      const createMs: number[] = [];
      const invoices: Array<{ id: string; deposit_address: string }> = [];
      for (let i = 0; i < creates; i++) {
        const started = performance.now();
        const body = (await call(stack.apiUrl, stack.apiKey, '/v1/invoices', {
          amount: '1.00',
          external_id: `noisy-${tag}-${i}`,
        })) as {
          data: { id: string; deposit_address: string };
        };
        createMs.push(performance.now() - started);
        invoices.push(body.data);
      }
      const detectMs: number[] = [];
      for (const invoice of invoices.slice(0, payments)) {
        await (await token.getFunction('mint')(faucet.address, 10n ** 18n)).wait();
        await (await token.getFunction('transfer')(invoice.deposit_address, 10n ** 18n)).wait();
        const mined = performance.now();
        await until(
          async () => (await pool.query('SELECT 1 FROM deposits WHERE invoice_id = $1', [invoice.id])).rowCount! > 0,
          120_000,
        );
        detectMs.push(performance.now() - mined);
      }
      return { createMs, detectMs };
    };

    const { result: quiet, peak: quietRss } = await peakWorkerRssDuring(stack, () => round('quiet'));
    const noise = await peakWorkerRssDuring(stack, async () => {
      if (control) return { noisy: await round('noisy'), cpu: { total: 0, breakdown: '' } };
      const a = await createMerchant(pool, { name: 'Noisy neighbour' });
      const { key } = await createApiKey(pool, { merchantId: a.id, livemode: false, scopes: ['read', 'write', 'webhooks'] });
      for (let i = 0; i < DEFAULT_OBJECT_CAPS.webhookEndpoints; i++) {
        await call(stack.apiUrl, key, '/api/v1/webhook-endpoints', { url: `${silent.url}/hook/${i}` });
      }
      await Promise.all(
        Array.from({ length: BURST }, (_, i) => call(stack.apiUrl, key, '/api/v1/customers', { email: `buyer${i}@example.com` })),
      );
      await until(
        async () =>
          (
            await pool.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM webhook_deliveries WHERE merchant_id = $1 AND status = 'pending'",
              [a.id],
            )
          ).rows[0]!.n >= DEFAULT_OBJECT_CAPS.webhookEndpoints,
        120_000,
      );
      let noisy: Round | undefined;
      const cpu = await cpuDuring(stack, async () => (noisy = await round('noisy')));
      return { noisy: noisy!, cpu };
    });
    const { noisy, cpu } = noise.result;
    const p99 = (r: Round) => percentile(r.createMs, 99);
    const detect = (r: Round) => percentile(r.detectMs, 50);
    const detectNote =
      payments > 1
        ? `median of ${payments} payments per round; slowest ${ms(Math.max(...quiet.detectMs))} quiet, ${ms(Math.max(...noisy.detectMs))} noisy`
        : undefined;
    const each = (r: Round) => r.createMs.map((v) => v.toFixed(0)).join(' ');
    const neighbour = control
      ? 'CONTROL RUN: no neighbour in either round'
      : `A: ${DEFAULT_OBJECT_CAPS.webhookEndpoints} silent endpoints × ${BURST} customers; CPU in cores during the noisy round ${cpu.total.toFixed(2)} (${cpu.breakdown}); A's most connections at once ${silent.mostAtOnce()}`;
    const note = `${creates} creates per round (ms, in order: quiet ${each(quiet)}; noisy ${each(noisy)}); ${neighbour}`;
    return [
      {
        figure: 'invoice create p99 beside a noisy neighbour',
        baseline: `${ms(p99(quiet))} quiet`,
        settle: ms(p99(noisy)),
        ratio: times(p99(noisy) / p99(quiet)),
        target: '≤ 2× quiet',
        met: p99(noisy) <= 2 * p99(quiet),
        note,
      },
      {
        figure: 'transfer mined → deposit recorded beside a noisy neighbour',
        baseline: `${ms(detect(quiet))} quiet`,
        settle: ms(detect(noisy)),
        ratio: times(detect(noisy) / detect(quiet)),
        target: '≤ 2× quiet',
        met: detect(noisy) <= 2 * detect(quiet),
        ...(detectNote ? { note: detectNote } : {}),
      },
      {
        figure: 'worker memory beside a noisy neighbour',
        baseline: `${mib(quietRss)} quiet peak`,
        settle: `${mib(noise.peak)} peak`,
        ratio: times(noise.peak / quietRss),
        target: '≤ 2× quiet',
        met: noise.peak <= 2 * quietRss,
        note: `resident memory of the worker process, read every 200 ms from A's first endpoint to the end of B's noisy round`,
      },
    ];
  } finally {
    await silent.close();
    provider.destroy();
    await pool.end();
  }
}

async function call(apiUrl: string, key: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
