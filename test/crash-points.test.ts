import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Contract, parseUnits, Wallet, zeroPadValue } from 'ethers';
import { erc20Interface, TRANSFER_TOPIC } from '../activities/chain/erc20';
import type { CrashPoint } from '../activities/crash-points';
import { createApiKey, createMerchant } from '../activities/db/merchants';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { eventually } from './harness/test-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';
import { SoakStack } from './soak/stack';

const POINTS: CrashPoint[] = [
  'watcher.after-start-deposit',
  'deposit.after-credit',
  'webhook.after-post',
  'webhook.after-hand',
  'withdrawal.before-broadcast',
];
// A worker restart is a cold process start (seconds on an idle machine, a minute or more on a busy one).
const SLOW = 600_000;

/**
 * The worker runs as its own process and SIGKILLs itself at each named crash point the first time
 * it gets there (after the side effect, before its record), as a power cut would; its supervisor
 * restarts it. Each lifecycle must then finish as if nothing had happened: one deposit, one credit,
 * one id per event, every event delivered, one on-chain transfer per withdrawal.
 */
describe('real crashes at named points', () => {
  let stack: SoakStack;
  let receiver: Receiver;
  let markers: string;
  let key: string;
  let merchantId: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-crash-'));
    markers = path.join(dir, 'crashes');
    mkdirSync(markers);
    receiver = await startReceiver();
    stack = new SoakStack({
      dir,
      masterSeed: randomBytes(32).toString('hex'),
      databaseUrl: process.env.DATABASE_URL,
      confirmations: 2,
      workflowBundle: process.env.SETTLE_TEST_WORKFLOW_BUNDLE,
      workerEnv: { SETTLE_CRASH_POINTS: POINTS.join(','), SETTLE_CRASH_MARKER_DIR: markers },
    });
    await stack.start();
    const merchant = await createMerchant(stack.pool, { name: 'Crash merchant' });
    merchantId = merchant.id;
    ({ key } = await createApiKey(stack.pool, {
      merchantId,
      livemode: false,
      scopes: ['read', 'write', 'withdraw', 'webhooks'],
    }));
    const endpoint = await api('POST', '/v1/webhook-endpoints', { url: `${receiver.url}/hooks` });
    expect(endpoint.status).toBe(201);
  }, SLOW);
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  /** Retries while the API waits on a worker that is restarting, with one Idempotency-Key per call. */
  async function api(method: string, route: string, body?: unknown) {
    const idempotencyKey = randomBytes(8).toString('hex');
    return eventually(
      async () => {
        const res = await fetch(`${stack.apiUrl}${route}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-api-key': key, 'idempotency-key': idempotencyKey },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).catch(() => undefined);
        if (!res || res.status === 503) return undefined;
        return { status: res.status, body: (await res.json()) as any };
      },
      `${method} ${route}`,
      120_000,
    );
  }

  const crashed = (point: CrashPoint) =>
    eventually(
      async () => (existsSync(path.join(markers, point)) ? true : undefined),
      `the worker to crash at ${point}`,
      240_000,
    );

  const token = () => new Contract(stack.token, erc20Interface, new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider));

  test(
    'when the worker dies after starting a deposit, after crediting it and after posting its webhook, then it is credited once and every event is delivered under one id',
    async () => {
      const createdInvoice = await api('POST', '/v1/invoices', { amount: '10' });
      expect(createdInvoice.status).toBe(201);
      const invoice = createdInvoice.body.data;
      const faucet = new Wallet(LOCAL_FAUCET_KEY).address;
      await (await token().getFunction('mint')(faucet, parseUnits('10', 18))).wait();
      await (await token().getFunction('transfer')(invoice.deposit_address, parseUnits('10', 18))).wait();

      await crashed('watcher.after-start-deposit');
      await crashed('deposit.after-credit');
      const paid = await eventually(
        async () => {
          const r = await api('GET', `/v1/invoices/${invoice.id}`);
          return r.body.data?.status === 'paid' && r.body.data.deposits[0]?.status === 'completed' ? r.body.data : undefined;
        },
        'the invoice to be paid and its deposit completed',
        SLOW,
      );
      const depositId: string = paid.deposits[0].id;

      const deposits = await stack.pool.query('SELECT id FROM deposits WHERE invoice_id = $1', [invoice.id]);
      expect(deposits.rows).toHaveLength(1);
      const postings = await stack.pool.query<{ account: string; amount: string }>(
        'SELECT account, amount::text FROM ledger_entries WHERE ref_id = $1 ORDER BY account',
        [depositId],
      );
      expect(postings.rows).toEqual([
        { account: 'external:chain_inflow', amount: (-parseUnits('10', 18)).toString() },
        { account: 'merchant:available', amount: parseUnits('10', 18).toString() },
      ]);
      // Events are published just after each state change: wait for the last one, then check there is one id per transition.
      const eventTypes = async () =>
        (
          await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [depositId])
        ).rows.map((e) => e.type);
      await eventually(async () => ((await eventTypes()).includes('deposit.completed') ? true : undefined), 'deposit.completed');
      expect(await eventTypes()).toEqual(['deposit.detected', 'deposit.confirming', 'deposit.completed']);

      await crashed('webhook.after-post');
      // Handed to its queue but not marked so: handed again, and it still arrives.
      await crashed('webhook.after-hand');
      const published = await stack.pool.query<{ id: string }>('SELECT id FROM events WHERE merchant_id = $1', [merchantId]);
      await eventually(
        async () => {
          const seen = new Set(receiver.requests.map((r) => r.eventId));
          return published.rows.every((e) => seen.has(e.id)) ? true : undefined;
        },
        'every published event to reach the endpoint',
        SLOW,
      );
      // At least once, and a crash after a POST repeats that one delivery, never more.
      const perEvent = new Map<string, number>();
      for (const r of receiver.requests) perEvent.set(r.eventId, (perEvent.get(r.eventId) ?? 0) + 1);
      expect(Math.max(...perEvent.values())).toBeLessThanOrEqual(2);
      const balance = await api('GET', '/v1/balance');
      expect(balance.body.data.available).toBe('10.00');
    },
    SLOW,
  );

  test(
    'when the worker dies between signing a withdrawal transaction and broadcasting it, then exactly one transfer reaches the destination',
    async () => {
      const recipient = Wallet.createRandom().address;
      const created = await api('POST', '/v1/withdraw', { amount: '4', to_address: recipient });
      expect(created.status).toBeLessThan(300);
      const id: string = created.body.id ?? created.body.data?.id;
      await crashed('withdrawal.before-broadcast');
      await eventually(
        async () => {
          const r = await api('GET', `/v1/withdrawals/${id}`);
          return r.body.data?.status === 'completed' ? true : undefined;
        },
        'the withdrawal to complete',
        SLOW,
      );
      const transfers = await stack.chain.provider.getLogs({
        address: stack.token,
        topics: [TRANSFER_TOPIC, null, zeroPadValue(recipient.toLowerCase(), 32)],
        fromBlock: 0,
      });
      expect(transfers).toHaveLength(1);
      expect(BigInt(transfers[0]!.data)).toBe(parseUnits('4', 18));
      const stored = await stack.pool.query<{ purpose: string; n: number }>(
        'SELECT purpose, count(DISTINCT nonce)::int AS n FROM signed_transactions GROUP BY purpose',
      );
      // Every purpose (sweep, gas top-up, payout) kept one nonce: a retry re-sent, it never re-planned.
      expect(stored.rows.every((r) => r.n === 1)).toBe(true);
      const balance = await api('GET', '/v1/balance');
      expect(balance.body.data.available).toBe('6.00');
    },
    SLOW,
  );
});
