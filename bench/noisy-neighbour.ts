import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { performance } from 'node:perf_hooks';
import { Contract, JsonRpcProvider, type TransactionReceipt, Wallet, WebSocketProvider } from 'ethers';
import { Pool } from 'pg';
import { erc20Interface } from '../activities/chain/erc20';
import { createApiKey, createMerchant } from '../activities/db/merchants';
import { DEFAULT_OBJECT_CAPS } from '../api/object-caps';
import { DEFAULT_DELIVERIES_PER_MERCHANT } from '../domain/webhooks';
import { SA } from '../domain/search-attributes';
import { workflowIds } from '../domain/workflow-ids';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { startSilentServer } from '../test/harness/silent-server';
import { createPathProfile, type TimedCreate } from './create-path';
import type { BenchStack } from './dev-stack';
import { cpuDuring } from './idle-cpu';
import { type BenchRow, ms, percentile, times } from './table';
import { mib, peakWorkerRssDuring } from './worker-memory';

/** The noisy merchant's burst: customers created at once, each event a delivery to every silent endpoint. */
const BURST = 30;
/** Creates before the quiet round, enough for each of a cluster's payment workers to have run a few. */
const WARM_UP_CREATES = 6;

interface Round {
  createMs: number[];
  /** Where the round's slowest create spent its time. */
  slowestCreatePath: string;
  /** Block announced by the node → deposit row written, one per payment. */
  detectMs: number[];
  /** Each detection in three parts, ending at the deposit workflow's start, its first task's start, the row. */
  stages: Stages[];
}

interface Stages {
  /** Block announced → deposit workflow started: head poll, scan, signal-with-start. */
  watcher: number;
  /** → its first workflow task handed to a worker: Temporal's matching. */
  dispatch: number;
  /** → deposit row written: the worker's first task (the local activity that writes it). */
  worker: number;
}

const { EventType } = temporal.api.enums.v1;

/**
 * Issue 14's noisy neighbour against the bench's stack (`npm start`'s, or `npm run cluster`'s with
 * `--stack cluster`): the stack's merchant (B) creates invoices one after another and has some
 * paid, first on a quiet stack, then while merchant A's 16 endpoints never answer and A has just created 30 customers (480 deliveries that hang until their timeout).
 * B's create p99 and detection time under the noise, beside the quiet round of the same run.
 * Detection runs from the node announcing the transfer's block (a newHeads subscription) to the
 * deposit row's own write time in PostgreSQL, so neither end carries the bench's polling. It is the
 * median of the round's payments (5 by default): one payment is one sample, and the head poll's
 * phase (up to 100 ms on the dev chain) can decide its ratio. The notes split the slowest create
 * and the median detection by where their workflow's history says the time went. With `control`,
 * the second round runs with no neighbour either: the spread of the ratios between two quiet
 * rounds, which a noisy round's ratio is read against.
 */
export async function benchNoisyNeighbour(
  stack: BenchStack,
  creates: number,
  payments = 5,
  control = false,
): Promise<BenchRow[]> {
  if (payments > creates) throw new Error(`${payments} payments need as many invoices; ${creates} are created`);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  const provider = new JsonRpcProvider(stack.rpcUrl, 31337, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  const faucet = new Wallet(LOCAL_FAUCET_KEY, provider);
  const token = new Contract(stack.token, erc20Interface, faucet);
  const heads = new WebSocketProvider(stack.rpcUrl.replace(/^http/, 'ws'));
  const announced = new Map<number, number>();
  await heads.on('block', (n: number) => void (announced.has(n) || announced.set(n, Date.now())));
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const temporalClient = new Client({ connection });
  const silent = await startSilentServer();
  try {
    const round = async (tag: string): Promise<Round> => {
      const createMs: number[] = [];
      const timed: TimedCreate[] = [];
      const invoices: Array<{ id: string; deposit_address: string }> = [];
      for (let i = 0; i < creates; i++) {
        const sentAt = Date.now();
        const started = performance.now();
        const body = (await call(stack.apiUrl, stack.apiKey, '/v1/invoices', {
          amount: '1.00',
          external_id: `noisy-${tag}-${i}`,
        })) as {
          data: { id: string; deposit_address: string };
        };
        createMs.push(performance.now() - started);
        timed.push({ invoiceId: body.data.id, sentAt, answeredAt: Date.now() });
        invoices.push(body.data);
      }
      // Where the slowest create's time went, read before the payments add to its history.
      const slowest = timed[createMs.indexOf(Math.max(...createMs))]!;
      const createPath = await createPathProfile(temporalClient, [slowest]);
      const detectMs: number[] = [];
      const stages: Stages[] = [];
      for (const invoice of invoices.slice(0, payments)) {
        await (await token.getFunction('mint')(faucet.address, 10n ** 18n)).wait();
        const receipt = (await (
          await token.getFunction('transfer')(invoice.deposit_address, 10n ** 18n)
        ).wait()) as TransactionReceipt;
        let recordedAt = 0;
        await until(async () => {
          // Written once at detection; a later confirmation update would only make it later, never earlier.
          const row = await pool.query<{ at: Date }>('SELECT updated_at AS at FROM deposits WHERE invoice_id = $1', [invoice.id]);
          recordedAt = row.rows[0]?.at.getTime() ?? 0;
          return recordedAt > 0 && announced.has(receipt.blockNumber);
        }, 120_000);
        const visibleAt = announced.get(receipt.blockNumber)!;
        const logIndex = receipt.logs.find((l) => l.address.toLowerCase() === stack.token.toLowerCase())!.index;
        const history = await temporalClient.workflow
          .getHandle(workflowIds.deposit('local', receipt.hash, logIndex))
          .fetchHistory();
        const at = (type: number) => tsToMs(history.events!.find((e) => e.eventType === type)!.eventTime);
        const started = at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
        const taskStarted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
        detectMs.push(recordedAt - visibleAt);
        stages.push({ watcher: started - visibleAt, dispatch: taskStarted - started, worker: recordedAt - taskStarted });
      }
      return { createMs, detectMs, stages, slowestCreatePath: createPath };
    };

    // Unmeasured: a worker's first tasks of a workflow type are slower, and on a stack with several
    // payment workers (`--stack cluster`) they would otherwise land in the quiet round and flatter the ratio.
    for (let i = 0; i < WARM_UP_CREATES; i++) await call(stack.apiUrl, stack.apiKey, '/v1/invoices', { amount: '1.00' });
    const { result: quiet, peak: quietRss } = await peakWorkerRssDuring(stack, () => round('quiet'));
    const noise = await peakWorkerRssDuring(stack, async () => {
      if (control) return { noisy: await round('noisy'), cpu: { total: 0, breakdown: '' }, footprint: '' };
      const a = await createMerchant(pool, { name: 'Noisy neighbour' });
      const { key } = await createApiKey(pool, { merchantId: a.id, livemode: false, scopes: ['read', 'write', 'webhooks'] });
      for (let i = 0; i < DEFAULT_OBJECT_CAPS.webhookEndpoints; i++) {
        await call(stack.apiUrl, key, '/api/v1/webhook-endpoints', { url: `${silent.url}/hook/${i}` });
      }
      await Promise.all(
        Array.from({ length: BURST }, (_, i) => call(stack.apiUrl, key, '/api/v1/customers', { email: `buyer${i}@example.com` })),
      );
      // The noise is on once A's deliveries hold every slot it has (on any version of the delivery path).
      await until(async () => silent.mostAtOnce() >= DEFAULT_DELIVERIES_PER_MERCHANT, 120_000);
      let noisy: Round | undefined;
      const cpu = await cpuDuring(stack, async () => (noisy = await round('noisy')));
      return { noisy: noisy!, cpu, footprint: await temporalFootprint(temporalClient, a.id) };
    });
    const { noisy, cpu, footprint } = noise.result;
    const p99 = (r: Round) => percentile(r.createMs, 99);
    const detect = (r: Round) => percentile(r.detectMs, 50);
    const split = (r: Round) => {
      const median = (k: keyof Stages) =>
        ms(
          percentile(
            r.stages.map((s) => s[k]),
            50,
          ),
        );
      return `watcher ${median('watcher')}, dispatch ${median('dispatch')}, worker ${median('worker')}`;
    };
    const detectNote =
      (payments > 1
        ? `median of ${payments} payments per round; slowest ${ms(Math.max(...quiet.detectMs))} quiet, ${ms(Math.max(...noisy.detectMs))} noisy; `
        : '') +
      `block announced → deposit row written, medians of its parts (to the deposit workflow's start, to its first task's start, to the row): quiet ${split(quiet)}; noisy ${split(noisy)}`;
    const each = (r: Round) => r.createMs.map((v) => v.toFixed(0)).join(' ');
    const neighbour = control
      ? 'CONTROL RUN: no neighbour in either round'
      : `A: ${DEFAULT_OBJECT_CAPS.webhookEndpoints} silent endpoints × ${BURST} customers; CPU in cores during the noisy round ${cpu.total.toFixed(2)} (${cpu.breakdown}); A's most connections at once ${silent.mostAtOnce()}; A's workflows by the end of B's round: ${footprint}`;
    const path = (r: Round) => r.slowestCreatePath.replace(/^create path, median of 1: /, '');
    const note =
      `${creates} creates per round (ms, in order: quiet ${each(quiet)}; noisy ${each(noisy)}); ` +
      `the slowest create's path, quiet: ${path(quiet)}; noisy: ${path(noisy)}; ${neighbour}`;
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
        figure: 'block announced → deposit recorded beside a noisy neighbour',
        baseline: `${ms(detect(quiet))} quiet`,
        settle: ms(detect(noisy)),
        ratio: times(detect(noisy) / detect(quiet)),
        target: '≤ 2× quiet',
        met: detect(noisy) <= 2 * detect(quiet),
        note: detectNote,
      },
      {
        figure: 'worker memory beside a noisy neighbour',
        baseline: `${mib(quietRss)} quiet peak`,
        settle: `${mib(noise.peak)} peak`,
        ratio: times(noise.peak / quietRss),
        target: '≤ 2× quiet',
        met: noise.peak <= 2 * quietRss,
        note: `resident memory of the worker processes (payments and webhooks), read every 200 ms from A's first endpoint to the end of B's noisy round`,
      },
    ];
  } finally {
    await silent.close();
    await connection.close();
    await heads.destroy();
    provider.destroy();
    await pool.end();
  }
}

/**
 * What merchant A's noise cost the Temporal server so far: its workflows by type, with their
 * history events (each a write). Dispatch workflows carry no merchant, so all are counted; only
 * A's events fan out to enough targets to need one.
 */
async function temporalFootprint(client: Client, merchantId: string): Promise<string> {
  const byType = new Map<string, { runs: number; events: number }>();
  const query = `${SA.merchantId.name} = '${merchantId}' OR WorkflowType = 'eventDispatchWorkflow'`;
  for await (const w of client.workflow.list({ query })) {
    const t = byType.get(w.type) ?? { runs: 0, events: 0 };
    t.runs++;
    // Visibility records a run's history length when it closes; a running one is asked.
    t.events += w.historyLength || (await client.workflow.getHandle(w.workflowId, w.runId).describe()).historyLength;
    byType.set(w.type, t);
  }
  return [...byType].map(([type, t]) => `${type} ${t.runs} runs, ${t.events} history events`).join(', ') || 'none listed';
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
