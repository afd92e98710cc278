import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Contract, JsonRpcProvider, NonceManager, Wallet, WebSocketProvider } from 'ethers';
import { erc20Interface } from '../activities/chain/erc20';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import type { BenchStack } from './dev-stack';
import { Client, Connection } from '@temporalio/client';
import { workflowIds } from '../domain/payments';
import { detectionPathProfile, type TimedDetection } from './detection-path';
import { type BenchRow, ms, percentile } from './table';

/** The dev stack's local network requires this many confirmations (config/networks.json). */
const CONFIRMATIONS = 3;

/**
 * From a block becoming visible on the node to the webhook that reports it: token transfers to
 * invoice addresses on the dev chain (1 s blocks), timed from the moment a new-heads subscription
 * on the node announces the block to the moment the merchant's endpoint receives the event.
 */
export async function benchDepositLatency(stack: BenchStack, rounds: number, perRound: number): Promise<BenchRow[]> {
  const received = new Map<string, number>();
  /** Wall-clock twins of `received` and `seen`, to compare with Temporal's event times. */
  const receivedWall = new Map<string, number>();
  const seenWall = new Map<number, number>();
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const at = performance.now();
      const event = JSON.parse(raw) as { event?: string; data?: { transaction_hash?: string } };
      const type = event.event;
      const tx = event.data?.transaction_hash?.toLowerCase();
      if (type && tx && !received.has(`${type} ${tx}`)) {
        received.set(`${type} ${tx}`, at);
        receivedWall.set(`${type} ${tx}`, Date.now());
      }
      res.end('OK');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;

  const seen = new Map<number, number>();
  const heads = new WebSocketProvider(stack.rpcUrl.replace(/^http/, 'ws'));
  await heads.on('block', (n: number) => {
    if (seen.has(n)) return;
    seen.set(n, performance.now());
    seenWall.set(n, Date.now());
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const provider = new JsonRpcProvider(stack.rpcUrl, 31337, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  const faucet = new NonceManager(new Wallet(LOCAL_FAUCET_KEY, provider));
  const token = new Contract(stack.token, erc20Interface, faucet);
  try {
    await api(stack, '/api/v1/webhook-endpoints', {
      url: `http://127.0.0.1:${port}/hooks`,
      events: ['deposit.detected', 'deposit.completed'],
    });
    await (await token.getFunction('mint')(await faucet.getAddress(), 10n ** 30n)).wait();
    const detected: number[] = [];
    const timed: TimedDetection[] = [];
    const completed: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const invoices = await Promise.all(
        Array.from(
          { length: perRound },
          () => api(stack, '/v1/invoices', { amount: '1.00' }) as Promise<{ data: { deposit_address: string } }>,
        ),
      );
      const sent = await Promise.all(invoices.map((inv) => token.getFunction('transfer')(inv.data.deposit_address, 10n ** 18n)));
      const receipts = await Promise.all(sent.map((tx) => tx.wait()));
      const deadline = Date.now() + 120_000;
      for (const receipt of receipts) {
        const tx = (receipt.hash as string).toLowerCase();
        const block = receipt.blockNumber as number;
        for (;;) {
          const d = received.get(`deposit.detected ${tx}`);
          const c = received.get(`deposit.completed ${tx}`);
          const visible = seen.get(block);
          const deep = seen.get(block + CONFIRMATIONS - 1);
          if (d !== undefined && c !== undefined && visible !== undefined && deep !== undefined) {
            detected.push(d - visible);
            completed.push(c - deep);
            const log = (receipt.logs as Array<{ address: string; index: number }>).find(
              (l) => l.address.toLowerCase() === stack.token.toLowerCase(),
            )!;
            timed.push({
              depositWorkflowId: workflowIds.deposit('local', tx, log.index),
              visibleAt: seenWall.get(block)!,
              deliveredAt: receivedWall.get(`deposit.detected ${tx}`)!,
            });
            break;
          }
          if (Date.now() > deadline)
            throw new Error(
              `deposit ${tx} (block ${block}) was not reported within 120 s; received: ${[...received.keys()].join(', ')}`,
            );
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    const samples = `${detected.length} transfers in ${rounds} rounds`;
    const profile = await detectionPathProfile(new Client({ connection }), stack.databaseUrl, timed);
    return [
      {
        figure: 'block visible → deposit.detected delivered',
        baseline: '—',
        settle: `p50 ${ms(percentile(detected, 50))}, p95 ${ms(percentile(detected, 95))}`,
        ratio: '—',
        target: 'p50 ≤ 300 ms, p95 ≤ 600 ms',
        met: percentile(detected, 50) <= 300 && percentile(detected, 95) <= 600,
        note: `${samples}; ${profile}`,
      },
      {
        figure: `block at depth ${CONFIRMATIONS} → deposit.completed delivered`,
        baseline: '—',
        settle: `p50 ${ms(percentile(completed, 50))}, p95 ${ms(percentile(completed, 95))}`,
        ratio: '—',
        target: 'p50 ≤ 300 ms',
        met: percentile(completed, 50) <= 300,
        note: samples,
      },
    ];
  } finally {
    await connection.close();
    await heads.destroy();
    provider.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function api(stack: BenchStack, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}
