import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toQuantity, Wallet } from 'ethers';
import { ChainProviders } from '../activities/chain/providers';
import { createPool } from '../activities/db/pool';
import { NetworkRegistry } from '../domain/networks';
import { createTransactionActivities } from '../activities/signing/transactions';
import { signerKey } from '../activities/signing/signer-keys';
import { HdWallet } from '../activities/wallet/hd-wallet';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { createSettleWorker } from '../worker/create-worker';
import { TestStack, eventually } from './harness/test-stack';
import { units, withdrawalFixtures } from './harness/withdrawal-fixtures';

const SLOW = 300_000;

/**
 * Withdrawals whose hot address cannot pay, whose nonce another transaction took, whose gas meets
 * the network's cap, and two workers sending for one merchant, on Anvil, the Temporal dev server
 * and PostgreSQL.
 */
describe('withdrawal gas and nonces', () => {
  let stack: TestStack;
  let chains: ChainProviders;
  let mining = true;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    // Transactions are looked at after 1.5 s unmined instead of a minute.
    stack = await TestStack.start({ watch: true, confirmations: 2, stuckAfterMs: 1_500 });
    chains = new ChainProviders(stack.registry);
    miner = setInterval(() => {
      if (mining) stack.mine(1).catch(() => undefined);
    }, 250);
  });
  afterAll(async () => {
    clearInterval(miner);
    chains?.destroy();
    await stack?.stop();
  });

  const { transfersTo, balanceOf, payInvoice, waitForStatus, tokensOnChain } = withdrawalFixtures(() => stack);
  const faucet = () => new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider);

  /** A merchant whose hot address already holds tokens (a first withdrawal swept a 50 deposit whole). */
  const merchantWithTokensOnHot = async () => {
    const m = await stack.merchant({ feePolicy: { type: 'none' } });
    await payInvoice(m.key, '50');
    const first = await stack.api('POST', '/v1/withdraw', m.key, { amount: '10', to_address: Wallet.createRandom().address });
    await waitForStatus(m.key, first.body.id, 'completed');
    const hot = await stack.pool.query<{ address: string }>(
      "SELECT address FROM addresses WHERE merchant_id = $1 AND owner_type = 'hot'",
      [m.id],
    );
    const wallet = new HdWallet(stack.seed);
    const tx = createTransactionActivities(stack.pool, chains, wallet);
    const signer = { merchantId: m.id, livemode: false, index: 0 };
    return { ...m, hot: hot.rows[0]!.address, wallet, tx, signer };
  };

  /** A hot-address transaction worth more than the address holds: it takes the next nonce and cannot be sent. */
  const signUnfundable = async (m: Awaited<ReturnType<typeof merchantWithTokensOnHot>>, name: string, value: bigint) => {
    const blocker = await m.tx.signTransaction({
      purpose: `test:${m.id}:${name}`,
      network: 'local',
      signer: m.signer,
      to: Wallet.createRandom().address,
      value: value.toString(),
    });
    await expect(m.tx.broadcastTransaction(blocker.purpose)).rejects.toThrow();
    return blocker;
  };

  const eventsOf = async (types: string[], objectIds: string[]) =>
    (
      await stack.pool.query<{ type: string; body: string }>(
        'SELECT type, body FROM events WHERE type = ANY($1) AND object_id = ANY($2)',
        [types, objectIds],
      )
    ).rows;

  const ledgerSums = async (merchantId: string) => {
    const rows = await stack.pool.query<{ account: string; sum: string }>(
      "SELECT account, sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 AND currency = 'USDT' GROUP BY account",
      [merchantId],
    );
    return Object.fromEntries(rows.rows.map((r) => [r.account, BigInt(r.sum)]));
  };

  /** Nothing is reserved any more, `available` is left, and the merchant's addresses hold what the ledger says came and went. */
  const expectSettled = async (merchantId: string, available: bigint) => {
    const sums = await ledgerSums(merchantId);
    expect(sums['merchant:available']).toBe(available);
    expect(sums['merchant:reserved'] ?? 0n).toBe(0n);
    expect(await tokensOnChain(merchantId)).toBe(-sums['external:chain_inflow']! - sums['external:chain_outflow']!);
  };

  /** Waits for the withdrawal to fail; its reservation came back exactly once, with one withdrawal.failed event. */
  const failedAndReleasedOnce = async (m: { id: string; key: string }, id: string, available: bigint) => {
    const failed = await eventually(
      async () => {
        const r = await stack.api('GET', `/v1/withdrawals/${id}`, m.key);
        return r.body.data?.status === 'failed' ? r.body.data : undefined;
      },
      'the withdrawal to fail',
      120_000,
    );
    const postings = await stack.pool.query('SELECT DISTINCT txn_id FROM ledger_entries WHERE ref_id = $1', [id]);
    expect(postings.rows.map((r) => r.txn_id).sort()).toEqual([`withdrawal:${id}:release`, `withdrawal:${id}:reserve`]);
    const sums = await ledgerSums(m.id);
    expect(sums['merchant:available']).toBe(available);
    expect(sums['merchant:reserved'] ?? 0n).toBe(0n);
    // The workflow answers `failed` as soon as it is saved; its event is stored right after.
    const events = await eventually(
      async () => ((await eventsOf(['withdrawal.failed'], [id])).length ? eventsOf(['withdrawal.failed'], [id]) : undefined),
      'withdrawal.failed',
    );
    expect(events).toHaveLength(1);
    return failed;
  };

  /** Runs `body` with the local network's maxGasSpendPerWithdrawal set, as an operator would configure it. */
  const withGasCap = async <T>(cap: bigint, body: () => Promise<T>): Promise<T> => {
    const local = stack.registry.get('local')!;
    local.maxGasSpendPerWithdrawal = cap.toString();
    try {
      return await body();
    } finally {
      delete local.maxGasSpendPerWithdrawal;
    }
  };

  /** Every transaction signed for a withdrawal (its sweeps' transfers and top-ups, its own transfer), all attempts. */
  const signedFor = async (withdrawalId: string) =>
    (
      await stack.pool.query<{ purpose: string; attempt: number; max_fee_per_gas: string; worst: string }>(
        `SELECT purpose, attempt, max_fee_per_gas::text, (gas_limit * max_fee_per_gas)::text AS worst FROM signed_transactions
         WHERE purpose = 'withdrawal:' || $1 || ':transfer'
            OR purpose IN (SELECT 'sweep:' || id || ':' || kind FROM sweeps, unnest(ARRAY['transfer', 'gas']) kind
                           WHERE withdrawal_id = $1)
         ORDER BY purpose, attempt`,
        [withdrawalId],
      )
    ).rows;

  /** Native coin the ledger booked as the gas of a withdrawal's mined transactions. */
  const gasBooked = async (withdrawalId: string) => {
    const row = await stack.pool.query<{ sum: string }>(
      `SELECT coalesce(sum(amount), 0)::text AS sum FROM ledger_entries
       WHERE ref_type = 'withdrawal' AND ref_id = $1 AND account = 'external:network_fees'`,
      [withdrawalId],
    );
    return BigInt(row.rows[0]!.sum);
  };

  const maxFeeNow = async () => (await stack.chain.provider.getFeeData()).maxFeePerGas!;

  test(
    'when the hot address cannot pay for a lower nonce, then the withdrawal waits unrepriced with withdrawal.stuck and hot_wallet.low_balance raised, and completes once the address is funded',
    async () => {
      const m = await merchantWithTokensOnHot();
      const blocker = await signUnfundable(m, 'blocker', units('1000'));

      const recipient = Wallet.createRandom().address;
      const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '10', to_address: recipient });
      expect(created.status).toBe(201);
      const id = created.body.id as string;

      const events = await eventually(
        async () => {
          const rows = await eventsOf(['withdrawal.stuck', 'hot_wallet.low_balance'], [id, `local:${m.hot}`]);
          return rows.length >= 2 ? rows : undefined;
        },
        'the operator events',
        120_000,
      );
      const stuck = JSON.parse(events.find((e) => e.type === 'withdrawal.stuck')!.body);
      expect(stuck.data).toMatchObject({ id, stuck_reason: 'unfunded', stuck_transaction: { nonce: blocker.nonce + 1 } });
      const low = JSON.parse(events.find((e) => e.type === 'hot_wallet.low_balance')!.body);
      expect(low.data).toMatchObject({ object: 'hot_wallet', address: m.hot, currency: 'ETH' });
      expect(Number(low.data.required)).toBeGreaterThan(1000);

      // Waiting, not final, and nothing re-signed: more fee would only have cost more.
      const waiting = await stack.api('GET', `/v1/withdrawals/${id}`, m.key);
      expect(['signing', 'broadcast']).toContain(waiting.body.data.status);
      const attempts = () =>
        stack.pool.query('SELECT attempt FROM signed_transactions WHERE purpose = $1', [`withdrawal:${id}:transfer`]);
      expect((await attempts()).rowCount).toBe(1);

      await (await faucet().sendTransaction({ to: m.hot, value: units('1100') })).wait();
      await m.tx.broadcastTransaction(blocker.purpose);
      const done = await waitForStatus(m.key, id, 'completed');
      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units('10'));
      expect(done.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);
      expect((await attempts()).rowCount).toBe(1);
      await expectSettled(m.id, units('30'));
    },
    SLOW,
  );

  test(
    'when another transaction takes the nonce of a waiting transfer, then the withdrawal fails and its reservation is released exactly once',
    async () => {
      const m = await merchantWithTokensOnHot();
      // More than the faucet funding above ever gives it: this one stays unfundable.
      const blocker = await signUnfundable(m, 'blocker', units('100000'));
      const recipient = Wallet.createRandom().address;
      const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '10', to_address: recipient });
      const id = created.body.id as string;
      await eventually(
        async () => ((await eventsOf(['withdrawal.stuck'], [id])).length ? true : undefined),
        'the withdrawal to be reported stuck',
        120_000,
      );

      // Sent with the hot key outside Settle: both nonces are used, the transfer can never be mined.
      const outside = new Wallet((await signerKey(stack.pool, m.wallet, m.signer)).privateKey, stack.chain.provider);
      mining = false;
      await stack.chain.provider.send('evm_setAutomine', [false]);
      try {
        const fee = { maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 50_000_000_000n, gasLimit: 21_000n };
        await outside.sendTransaction({ to: m.hot, value: 0n, nonce: blocker.nonce, ...fee });
        await outside.sendTransaction({ to: m.hot, value: 0n, nonce: blocker.nonce + 1, ...fee });
        await stack.mine(1);
      } finally {
        await stack.chain.provider.send('evm_setAutomine', [true]);
        mining = true;
      }

      const failed = await failedAndReleasedOnce(m, id, units('40'));
      expect(failed.failure_reason).toMatch(/can never be mined/);
      expect(await transfersTo(recipient)).toHaveLength(0);
      expect(await balanceOf(recipient)).toBe(0n);
    },
    SLOW,
  );

  test('when the nonce is read from a backend ahead of the one that answers receipts, then a mined transfer is never called taken', async () => {
    const m = await stack.merchant();
    const signer = { merchantId: m.id, livemode: false, index: 0 };
    const wallet = new HdWallet(stack.seed);
    const hot = (await signerKey(stack.pool, wallet, signer)).address;
    await (await faucet().sendTransaction({ to: hot, value: units('1') })).wait();
    // A load-balanced endpoint: every answer from the node, except receipts, which come from a
    // backend one block behind (the network needs two confirmations, so it is never further).
    const behind = await receiptsOneBlockBehind(stack.chain.rpcUrl);
    const lagging = new ChainProviders(
      new NetworkRegistry({
        ...stack.registry.config,
        networks: stack.registry.config.networks.map((n) => (n.id === 'local' ? { ...n, rpcUrls: [behind.url] } : n)),
      }),
    );
    mining = false;
    try {
      const tx = createTransactionActivities(stack.pool, lagging, wallet);
      const signed = await tx.signTransaction({ purpose: `test:${m.id}:lagging`, network: 'local', signer, to: hot, value: '1' });
      await tx.broadcastTransaction(signed.purpose);
      const receipt = await stack.chain.provider.waitForTransaction(signed.hash);
      expect(await stack.chain.provider.getBlockNumber()).toBe(receipt!.blockNumber); // the premise: mined in the newest block
      expect(await stack.chain.provider.getTransactionCount(hot)).toBe(signed.nonce + 1);

      const seenBehind = await tx.diagnoseTransaction(signed.purpose);
      expect(seenBehind).toMatchObject({ mined: false, reason: 'waiting' });
      await stack.mine(1);
      expect(await tx.diagnoseTransaction(signed.purpose)).toEqual({ mined: true });
    } finally {
      mining = true;
      lagging.destroy();
      await behind.close();
    }
  });

  test(
    'when two workers send withdrawals of one merchant after a transaction left its hot address outside Settle, then each is exactly one transfer and no nonce is used twice',
    async () => {
      const m = await merchantWithTokensOnHot();
      await payInvoice(m.key, '40');
      const outside = new Wallet((await signerKey(stack.pool, m.wallet, m.signer)).privateKey, stack.chain.provider);
      const sentOutside = await (await outside.sendTransaction({ to: m.hot, value: 0n })).wait();
      const outsideNonce = (await stack.chain.provider.getTransaction(sentOutside!.hash))!.nonce;

      // A second worker process's worth: its own PostgreSQL pool and Temporal connection, the same queues.
      const pool = createPool(stack.databaseUrl, 10);
      const connection = await NativeConnection.connect({ address: stack.temporalAddress });
      const second = await createSettleWorker({
        connection,
        clientConnection: stack.connection,
        namespace: stack.namespace,
        taskQueue: stack.taskQueue,
        pool,
        registry: stack.registry,
        masterSeedHex: stack.seed,
        workflowBundle: { code: readFileSync(process.env.SETTLE_TEST_WORKFLOW_BUNDLE!, 'utf8') },
      });
      const running = second.run();
      try {
        const recipients = Array.from({ length: 5 }, () => Wallet.createRandom().address);
        const created = await Promise.all(
          recipients.map((to) => stack.api('POST', '/v1/withdraw', m.key, { amount: '12', to_address: to })),
        );
        expect(created.map((r) => r.status)).toEqual(recipients.map(() => 201));
        for (const r of created) await waitForStatus(m.key, r.body.id, 'completed');
        for (const to of recipients) {
          const logs = await transfersTo(to);
          expect(logs).toHaveLength(1);
          expect(BigInt(logs[0]!.data)).toBe(units('12'));
        }
      } finally {
        second.shutdown();
        await running;
        second.close();
        await connection.close();
        await pool.end();
      }
      const shared = await stack.pool.query(
        `SELECT network, from_address, nonce FROM signed_transactions
         GROUP BY network, from_address, nonce HAVING count(DISTINCT purpose) > 1`,
      );
      expect(shared.rows).toEqual([]);
      const reused = await stack.pool.query('SELECT purpose FROM signed_transactions WHERE from_address = $1 AND nonce = $2', [
        m.hot,
        outsideNonce,
      ]);
      expect(reused.rows).toEqual([]);
      await expectSettled(m.id, units('20'));
    },
    SLOW,
  );

  test(
    'when the worst-case gas of the planned sweeps exceeds the network cap, then the withdrawal fails with gas_policy_exceeded before anything is signed, and once the cap fits the same amount is withdrawn',
    async () => {
      const m = await stack.merchant({ feePolicy: { type: 'none' } });
      await payInvoice(m.key, '20');
      await payInvoice(m.key, '20');
      const recipient = Wallet.createRandom().address;
      // Room for one token transfer at today's fees, not for two sweeps, their top-ups and the transfer.
      const failed = await withGasCap(100_000n * (await maxFeeNow()), async () => {
        const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '30', to_address: recipient });
        expect(created.status).toBe(201);
        return failedAndReleasedOnce(m, created.body.id, units('40'));
      });
      expect(failed.failure_reason).toBe('gas_policy_exceeded');
      expect(await signedFor(failed.id)).toEqual([]);
      expect(await transfersTo(recipient)).toHaveLength(0);
      const leases = await stack.pool.query('SELECT 1 FROM address_leases WHERE withdrawal_id = $1', [failed.id]);
      expect(leases.rowCount).toBe(0);
      expect(await tokensOnChain(m.id)).toBe(units('40'));

      const cap = 10n ** 16n;
      const done = await withGasCap(cap, async () => {
        const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '30', to_address: recipient });
        return waitForStatus(m.key, created.body.id, 'completed');
      });
      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units('30'));
      const signed = await signedFor(done.id);
      expect(signed.filter((t) => t.purpose.startsWith('sweep:') && t.purpose.endsWith(':transfer'))).toHaveLength(2);
      expect(signed.reduce((sum, t) => sum + BigInt(t.worst), 0n)).toBeLessThanOrEqual(cap);
      const booked = await gasBooked(done.id);
      expect(booked).toBeGreaterThan(0n);
      expect(booked).toBeLessThanOrEqual(cap);
      await expectSettled(m.id, units('10'));
    },
    SLOW,
  );

  test(
    'when blocks ask more than a transfer offers and a fee bump would take its withdrawal over the gas cap, then no such bump is signed, withdrawal.stuck says gas_policy, and it completes once blocks ask less',
    async () => {
      const m = await merchantWithTokensOnHot();
      const recipient = Wallet.createRandom().address;
      const provider = stack.chain.provider;
      // Fits the transfer at today's fees (about 1 gwei), far from the 10 gwei blocks will ask.
      const cap = 200_000n * (await maxFeeNow());
      const purpose = (id: string) => `withdrawal:${id}:transfer`;
      mining = false;
      await provider.send('evm_setAutomine', [false]);
      const id = await withGasCap(cap, async () => {
        try {
          const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '10', to_address: recipient });
          expect(created.status).toBe(201);
          const id = created.body.id as string;
          await eventually(async () => ((await signedFor(id)).length ? true : undefined), 'the transfer to be signed', 120_000);
          await provider.send('anvil_setNextBlockBaseFeePerGas', [toQuantity(10_000_000_000n)]);
          await provider.send('evm_mine', []);
          const stuck = await eventually(
            async () => (await eventsOf(['withdrawal.stuck'], [id]))[0],
            'the withdrawal to be reported stuck',
            120_000,
          );
          expect(JSON.parse(stuck.body).data).toMatchObject({
            id,
            stuck_reason: 'gas_policy',
            stuck_transaction: { purpose: purpose(id) },
          });
          const waiting = await stack.api('GET', `/v1/withdrawals/${id}`, m.key);
          expect(['signing', 'broadcast']).toContain(waiting.body.data.status);
          return id;
        } finally {
          await provider.send('anvil_setNextBlockBaseFeePerGas', ['0x1']);
          await provider.send('evm_setAutomine', [true]);
          mining = true;
        }
      });
      const signedWhileStuck = await signedFor(id);
      for (const t of signedWhileStuck) {
        expect(BigInt(t.worst)).toBeLessThanOrEqual(cap);
        expect(BigInt(t.max_fee_per_gas)).toBeLessThan(10_000_000_000n);
      }

      await waitForStatus(m.key, id, 'completed');
      expect(await transfersTo(recipient)).toHaveLength(1);
      expect(await signedFor(id)).toEqual(signedWhileStuck);
      const booked = await gasBooked(id);
      expect(booked).toBeGreaterThan(0n);
      expect(booked).toBeLessThanOrEqual(cap);
    },
    SLOW,
  );
  test('when the gas cap leaves less per gas than blocks ask, then a withdrawal transaction is not signed and takes no nonce until the cap allows it', async () => {
    const m = await stack.merchant();
    const wallet = new HdWallet(stack.seed);
    const tx = createTransactionActivities(stack.pool, chains, wallet);
    const signer = { merchantId: m.id, livemode: false, index: 0 };
    const hot = (await signerKey(stack.pool, wallet, signer)).address.toLowerCase();
    const purpose = `withdrawal:wd_held_${m.id}:transfer`;
    const request = { purpose, network: 'local', signer, to: Wallet.createRandom().address, value: '1' };
    // 1,000 wei for 21,000 gas: nothing per gas.
    await withGasCap(1_000n, () => expect(tx.signTransaction(request)).rejects.toMatchObject({ type: 'GasPolicyHold' }));
    expect((await stack.pool.query('SELECT 1 FROM signed_transactions WHERE purpose = $1', [purpose])).rowCount).toBe(0);
    const nonces = await stack.pool.query('SELECT 1 FROM nonces WHERE network = $1 AND address = $2', ['local', hot]);
    expect(nonces.rowCount).toBe(0);

    const cap = 21_000n * 100n * (await maxFeeNow());
    const signed = await withGasCap(cap, () => tx.signTransaction(request));
    expect(signed.nonce).toBe(0);
    expect(BigInt(signed.maxGasCost!)).toBeLessThanOrEqual(cap);
  });
});

/** A JSON-RPC front for `upstream` that answers null for a receipt whose block is the newest. */
async function receiptsOneBlockBehind(upstream: string) {
  const call = async (method: string, params: unknown) =>
    (await (
      await fetch(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      })
    ).json()) as { result?: { blockNumber?: string } | string | null };
  const answer = async (req: { id: unknown; method: string; params: unknown }) => {
    const res = await call(req.method, req.params);
    if (req.method === 'eth_getTransactionReceipt' && res.result && typeof res.result === 'object') {
      const head = Number((await call('eth_blockNumber', [])).result);
      if (Number(res.result.blockNumber) > head - 1) return { ...res, id: req.id, result: null };
    }
    return { ...res, id: req.id };
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const parsed = JSON.parse(body);
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
