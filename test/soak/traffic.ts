import { id, type JsonRpcProvider, parseEther, Wallet } from 'ethers';
import type { Pool } from 'pg';
import { erc20Interface } from '../../activities/chain/erc20';
import { createApiKey, createMerchant } from '../../activities/db/merchants';
import { fromBaseUnits, toBaseUnits } from '../../domain/money';
import type { Rng } from './rng';

/** What a merchant's customers do; each invoice scenario ends in a status the oracle derives from the chain. */
export const SCENARIOS = [
  'exact',
  'partial',
  'over',
  'under',
  'expired',
  'late',
  'dust',
  'wrong_token',
  'native',
  'customer',
  'withdrawal',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Invoices expire after the API's minimum, so expiry and late payment happen within a short soak. */
export const INVOICE_EXPIRES_IN_SECONDS = 60;

export interface SoakMerchant {
  id: string;
  key: string;
  payer: Payer;
  /** Where this merchant's withdrawals go; its on-chain balance is what they really sent. */
  sink: string;
  customerAddress?: string;
}

export interface TrafficStats {
  flows: Record<string, number>;
  transfers: number;
  droppedTransfers: number;
  withdrawalsRequested: number;
  apiRetries: number;
  errors: string[];
}

/** Calls the API like a merchant's integration would: retries what may be retried, with the same Idempotency-Key. */
export class SoakApi {
  constructor(
    private readonly url: string,
    private readonly stats: TrafficStats,
  ) {}

  async call(method: string, path: string, key: string, body?: unknown, idempotencyKey?: string, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.url}${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            'x-api-key': key,
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const json = (await res.json().catch(() => ({}))) as any;
        if (res.status < 500) return { status: res.status, body: json };
        if (Date.now() > deadline) return { status: res.status, body: json };
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${method} ${path}: ${(err as Error).message}`, { cause: err });
      }
      this.stats.apiRetries++;
      await sleep(1000);
    }
  }
}

/**
 * One customer wallet, funded once. Its transfers go out one at a time (a wallet has one nonce
 * sequence); a transfer a reorg drops for good is simply not retried, as a customer who gave up.
 */
export class Payer {
  private queue: Promise<unknown> = Promise.resolve();
  readonly wallet: Wallet;

  constructor(
    private readonly provider: JsonRpcProvider,
    privateKey: string,
    private readonly contracts: { token: string; wrongToken: string },
    private readonly stats: TrafficStats,
  ) {
    this.wallet = new Wallet(privateKey, provider);
  }

  async fund(): Promise<void> {
    await this.provider.send('anvil_setBalance', [this.wallet.address, `0x${parseEther('1000000').toString(16)}`]);
    for (const contract of [this.contracts.token, this.contracts.wrongToken]) {
      await this.send({
        to: contract,
        data: erc20Interface.encodeFunctionData('mint', [this.wallet.address, parseEther('1000000000')]),
      });
    }
  }

  /** Pays `amount` base units of USDT, of the unknown token, or of the native coin. */
  pay(kind: 'token' | 'wrong_token' | 'native', to: string, amount: bigint): Promise<string | null> {
    if (kind === 'native') return this.send({ to, value: amount });
    const contract = kind === 'token' ? this.contracts.token : this.contracts.wrongToken;
    return this.send({ to: contract, data: erc20Interface.encodeFunctionData('transfer', [to, amount]) });
  }

  private send(tx: { to: string; data?: string; value?: bigint }): Promise<string | null> {
    const run = async () => {
      const nonce = await this.provider.getTransactionCount(this.wallet.address, 'pending');
      const sent = await this.wallet.sendTransaction({ ...tx, nonce, gasLimit: 200_000 });
      this.stats.transfers++;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const receipt = await this.provider.getTransactionReceipt(sent.hash);
        if (receipt) return sent.hash;
        await sleep(300);
      }
      // Dropped by a reorg without re-inclusion; the chain, not this driver, is what the oracle checks.
      this.stats.droppedTransfers++;
      return null;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

export interface TrafficContext {
  api: SoakApi;
  pool: Pool;
  provider: JsonRpcProvider;
  contracts: { token: string; wrongToken: string };
  receiverUrl: string;
  stats: TrafficStats;
  /** Keys of the customer wallets and withdrawal sinks derive from it, so a seed repeats its addresses. */
  seed: number;
}

/** Creates a merchant (as the CLI does), its test key and a webhook endpoint pointing at the soak's receiver. */
export async function createSoakMerchant(ctx: TrafficContext, rng: Rng, index: number): Promise<SoakMerchant> {
  const merchant = await createMerchant(ctx.pool, {
    name: `Soak merchant ${index}`,
    underpaymentToleranceBps: rng.pick([0, 0, 100]),
    feePolicy: rng.chance(0.5) ? { type: 'flat', amount: '0.25' } : { type: 'none' },
  });
  const { key } = await createApiKey(ctx.pool, {
    merchantId: merchant.id,
    livemode: false,
    scopes: ['read', 'write', 'withdraw', 'webhooks'],
  });
  const payer = new Payer(ctx.provider, id(`soak:${ctx.seed}:payer:${index}`), ctx.contracts, ctx.stats);
  await payer.fund();
  const endpoint = await ctx.api.call('POST', '/api/v1/webhook-endpoints', key, {
    url: `${ctx.receiverUrl}/endpoint/${merchant.id}`,
  });
  if (endpoint.status !== 201 && endpoint.status !== 200) throw new Error(`webhook endpoint: ${JSON.stringify(endpoint.body)}`);
  const sink = new Wallet(id(`soak:${ctx.seed}:sink:${index}`)).address.toLowerCase();
  return { id: merchant.id, key, payer, sink };
}

const WEIGHTS: Array<[Scenario, number]> = [
  ['exact', 4],
  ['partial', 2],
  ['over', 2],
  ['under', 1],
  ['expired', 1],
  ['late', 1],
  ['dust', 1],
  ['wrong_token', 1],
  ['native', 2],
  ['customer', 3],
  ['withdrawal', 2],
];

function pickScenario(rng: Rng): Scenario {
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [s, w] of WEIGHTS) if ((x -= w) < 0) return s;
  return 'exact';
}

/** Starts a flow every few seconds until `until`, then waits for the flows in progress to finish. */
export async function runMerchant(ctx: TrafficContext, m: SoakMerchant, rng: Rng, until: number): Promise<void> {
  const flows: Array<Promise<void>> = [];
  let n = 0;
  while (Date.now() < until) {
    let scenario = pickScenario(rng);
    // Near the end only what settles within seconds, so the drain need not wait out a fresh invoice's expiry.
    const left = until - Date.now();
    if (scenario === 'late' && left < (INVOICE_EXPIRES_IN_SECONDS + 15) * 1000) scenario = 'exact';
    if (left < 30_000 && scenario !== 'customer' && scenario !== 'withdrawal')
      scenario = rng.pick(['customer', 'withdrawal'] as const);
    const flowRng = rng.fork(`${m.id}:${n}`);
    const label = `${m.id}#${n++}:${scenario}`;
    ctx.stats.flows[scenario] = (ctx.stats.flows[scenario] ?? 0) + 1;
    flows.push(
      runFlow(ctx, m, scenario, flowRng, label).catch((err) => void ctx.stats.errors.push(`${label}: ${(err as Error).message}`)),
    );
    await sleep(rng.int(1500, 5000));
  }
  await Promise.all(flows);
}

const usdt = (rng: Rng) => `${rng.int(1, 80)}.${String(rng.int(0, 99)).padStart(2, '0')}`;
const units = (amount: string) => toBaseUnits(amount, 18);

async function runFlow(ctx: TrafficContext, m: SoakMerchant, scenario: Scenario, rng: Rng, label: string): Promise<void> {
  if (scenario === 'withdrawal') return withdraw(ctx, m, rng, label);
  if (scenario === 'customer') return payCustomer(ctx, m, rng, label);

  const native = scenario === 'native';
  const amount = native ? `0.${String(rng.int(1, 999)).padStart(3, '0')}` : usdt(rng);
  const created = await ctx.api.call(
    'POST',
    '/v1/invoices',
    m.key,
    {
      amount,
      currency: native ? 'ETH' : 'USDT',
      expires_in: INVOICE_EXPIRES_IN_SECONDS,
      external_id: label,
      callback_url: `${ctx.receiverUrl}/callback/${m.id}`,
    },
    label,
  );
  if (created.status !== 201 && created.status !== 200) throw new Error(`create invoice: ${JSON.stringify(created.body)}`);
  const address = created.body.data.deposit_address as string;
  const expiresAt = Date.parse(created.body.data.expires_at as string);
  const total = units(amount);
  const pay = (kind: 'token' | 'wrong_token' | 'native', value: bigint) => m.payer.pay(kind, address, value);
  await sleep(rng.int(0, 3000));
  switch (scenario) {
    case 'exact':
    case 'native':
      await pay(native ? 'native' : 'token', total);
      return;
    case 'partial': {
      const first = (total * BigInt(rng.int(20, 70))) / 100n;
      await pay('token', first);
      await sleep(rng.int(500, 4000));
      await pay('token', total - first);
      return;
    }
    case 'over':
      await pay('token', total + units(usdt(rng)));
      return;
    case 'under':
      await pay('token', (total * BigInt(rng.int(30, 90))) / 100n);
      return;
    case 'expired':
      return;
    case 'late':
      // Clearly after expiry: block timestamps have one-second resolution.
      await sleep(Math.max(0, expiresAt - Date.now()) + rng.int(4000, 8000));
      await pay('token', total);
      return;
    case 'dust':
      await pay('token', BigInt(rng.int(1, 1000)));
      return;
    case 'wrong_token':
      // A token Settle does not list credits nothing; the native coin is credited as ETH, never to the USDT invoice.
      await pay(rng.chance(0.5) ? 'wrong_token' : 'native', rng.chance(0.5) ? total : parseEther('0.01'));
      return;
  }
}

async function payCustomer(ctx: TrafficContext, m: SoakMerchant, rng: Rng, label: string): Promise<void> {
  if (!m.customerAddress) {
    const created = await ctx.api.call('POST', '/api/v1/customers', m.key, { external_id: `cus-${m.id}` }, `cus-${m.id}`);
    const addresses = (created.body.data?.addresses ?? []) as Array<{ network: string; address: string }>;
    const local = addresses.find((a) => a.network === 'local');
    if (!local) throw new Error(`${label}: customer has no local address: ${JSON.stringify(created.body)}`);
    m.customerAddress ??= local.address;
  }
  if (rng.chance(0.7)) await m.payer.pay('token', m.customerAddress, units(usdt(rng)));
  else await m.payer.pay('native', m.customerAddress, parseEther(`0.0${rng.int(1, 9)}`));
}

async function withdraw(ctx: TrafficContext, m: SoakMerchant, rng: Rng, label: string): Promise<void> {
  const balance = await ctx.api.call('GET', '/v1/balance', m.key);
  const available = units(String(balance.body.data?.available ?? '0'));
  // Above the network's minimum withdrawal (1 USDT on the local chain).
  if (available < units('5.00')) return;
  const wanted = (available * BigInt(rng.int(20, 60))) / 100n;
  const amount = fromBaseUnits(wanted - (wanted % 10n ** 16n), 18);
  ctx.stats.withdrawalsRequested++;
  const res = await ctx.api.call(
    'POST',
    '/v1/withdraw',
    m.key,
    { amount, to_address: m.sink, currency: 'USDT', network: 'local' },
    label,
  );
  // Two withdrawals racing for the same balance: one of them is refused, which is correct.
  if (res.status >= 400 && res.body?.error?.code !== 'insufficient_balance') {
    throw new Error(`withdraw ${amount}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
