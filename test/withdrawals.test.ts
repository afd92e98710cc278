import { Wallet } from 'ethers';
import { ChainProviders } from '../activities/chain/providers';
import { createCreditDeposit } from '../activities/db/credit-deposit';
import { createTransactionActivities } from '../activities/signing/transactions';
import { createGasActivities } from '../activities/wallet/gas';
import { HdWallet } from '../activities/wallet/hd-wallet';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { NetworkRegistry } from '../domain/networks';
import type { DepositSnapshot } from '../domain/payments';
import { TestStack, eventually } from './harness/test-stack';
import { units, withdrawalFixtures } from './harness/withdrawal-fixtures';

const SLOW = 240_000;

/**
 * Withdrawals end to end on Anvil, the Temporal dev server and PostgreSQL: deposits arrive on
 * invoice addresses, the withdrawal sweeps them to the hot address and sends exactly one transfer.
 */
describe('withdrawals, sweeps, balances and fees', () => {
  let stack: TestStack;
  // Confirmations come from a background miner, so waiting tests never depend on sleeps.
  let mining = true;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
    miner = setInterval(() => {
      if (mining) stack.mine(1).catch(() => undefined);
    }, 250);
  });
  afterAll(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  const { runSeedWithdrawSnippet, balanceOf, transfersTo, payInvoice, waitForStatus, tokensOnChain, expectLedgerMatchesChain } =
    withdrawalFixtures(() => stack);

  const ledgerSums = async (merchantId: string) => {
    const rows = await stack.pool.query<{ account: string; currency: string; sum: string }>(
      'SELECT account, currency, sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 GROUP BY account, currency',
      [merchantId],
    );
    return Object.fromEntries(rows.rows.filter((r) => r.currency === 'USDT').map((r) => [r.account, BigInt(r.sum)]));
  };

  const expectBalancedPostings = async () => {
    const unbalanced = await stack.pool.query('SELECT txn_id FROM ledger_entries GROUP BY txn_id HAVING sum(amount) <> 0');
    expect(unbalanced.rows).toEqual([]);
  };

  test(
    'when a fee policy is flat, then each deposit pays the fee exactly once and the balance endpoint matches the ledger',
    async () => {
      const m = await stack.merchant({ feePolicy: { type: 'flat', amount: '2.00' } });
      const invoice = await payInvoice(m.key, '50');
      await payInvoice(m.key, '30');

      // A retried credit (the activity re-run with the same deposit) posts nothing new.
      const deposit = await stack.pool.query<{ snapshot: DepositSnapshot }>(
        'SELECT snapshot FROM deposits WHERE invoice_id = $1',
        [invoice.id],
      );
      const again = await createCreditDeposit(stack.pool)({ ...deposit.rows[0]!.snapshot, status: 'completed' });
      expect(again.credited).toBe(false);

      const sums = await ledgerSums(m.id);
      expect(sums['settle:fees']).toBe(units('4'));
      expect(sums['merchant:available']).toBe(units('76'));
      expect(sums['external:chain_inflow']).toBe(-units('80'));
      await expectBalancedPostings();

      const balance = await stack.api('GET', '/api/v1/balance', m.key);
      expect(balance.status).toBe(200);
      expect(balance.body.data).toMatchObject({
        object: 'balance',
        livemode: false,
        currency: 'USDT',
        available: '76.00',
        pending: '0.00',
        reserved: '0.00',
        total_received: '80.00',
        total_fees: '4.00',
        total_withdrawn: '0.00',
      });
      expect(balance.body.data.breakdown).toEqual([
        {
          network: 'local',
          currency: 'USDT',
          available: '76.00',
          pending: '0.00',
          reserved: '0.00',
          total_received: '80.00',
          total_fees: '4.00',
          total_withdrawn: '0.00',
        },
      ]);
    },
    SLOW,
  );

  test(
    'when a merchant with deposits on several addresses withdraws, then the deposits are swept and exactly one transfer of the amount arrives',
    async () => {
      const m = await stack.merchant();
      const invoices = [await payInvoice(m.key, '30'), await payInvoice(m.key, '20'), await payInvoice(m.key, '25')];
      const recipient = Wallet.createRandom().address;

      const created = await stack.api(
        'POST',
        '/v1/withdraw',
        m.key,
        { amount: '60.00', to_address: recipient },
        { 'Idempotency-Key': 'wd-sweep-1' },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^wd_/),
        status: 'reserved',
        amount: '60.00',
        to_address: recipient,
      });
      expect(created.body.data).toMatchObject({ id: created.body.id, object: 'withdrawal', status: 'reserved' });
      const id = created.body.id as string;

      const retried = await stack.api(
        'POST',
        '/v1/withdraw',
        m.key,
        { amount: '60.00', to_address: recipient },
        { 'Idempotency-Key': 'wd-sweep-1' },
      );
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body.id).toBe(id);

      const done = await waitForStatus(m.key, id, 'completed');
      expect(done.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);

      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units('60'));
      expect(await balanceOf(recipient)).toBe(units('60'));

      // Sweeps moved tokens off the deposit addresses, each after a gas top-up from the hot address.
      const sweeps = await stack.pool.query<{ from_address: string; amount: string; mined: boolean }>(
        'SELECT from_address, amount, mined FROM sweeps WHERE withdrawal_id = $1',
        [id],
      );
      expect(sweeps.rows.length).toBeGreaterThanOrEqual(2);
      expect(sweeps.rows.every((s) => s.mined)).toBe(true);
      // Each swept address gives its whole balance (30 + 25 + 20); the surplus waits on the hot address.
      expect(sweeps.rows.reduce((acc, s) => acc + BigInt(s.amount), 0n)).toBe(units('75'));
      const topUps = await stack.pool.query(
        "SELECT purpose FROM signed_transactions WHERE purpose LIKE 'sweep:' || $1 || '%:gas'",
        [id],
      );
      expect(topUps.rowCount).toBe(sweeps.rowCount);
      const depositAddresses = invoices.map((i) => i.deposit_address.toLowerCase());
      expect(sweeps.rows.every((s) => depositAddresses.includes(s.from_address))).toBe(true);

      // Ledger, balance endpoint and chain agree to the base unit.
      const sums = await ledgerSums(m.id);
      expect(sums['merchant:available']).toBe(units('15'));
      expect(sums['merchant:reserved'] ?? 0n).toBe(0n);
      expect(sums['external:chain_outflow']).toBe(units('60'));
      await expectBalancedPostings();
      const gas = await stack.pool.query<{ sum: string }>(
        "SELECT sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 AND account = 'external:network_fees'",
        [m.id],
      );
      expect(BigInt(gas.rows[0]!.sum)).toBeGreaterThan(0n);
      const balance = await stack.api('GET', '/v1/balance', m.key);
      expect(balance.body.data).toMatchObject({
        available: '15.00',
        reserved: '0.00',
        total_received: '75.00',
        total_withdrawn: '60.00',
        total_fees: '0.00',
      });
      expect(await tokensOnChain(m.id)).toBe(units('15'));
      await expectLedgerMatchesChain(m.id);

      // No sweep or top-up was credited as a deposit.
      const deposits = await stack.pool.query('SELECT count(*)::int AS n FROM deposits WHERE merchant_id = $1', [m.id]);
      expect(deposits.rows[0].n).toBe(3);

      const events = await eventually(async () => {
        const r = await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [
          id,
        ]);
        return r.rows.length >= 2 ? r.rows.map((e) => e.type) : undefined;
      }, 'withdrawal events');
      expect(events).toEqual(['withdrawal.created', 'withdrawal.completed']);

      const listed = await stack.api('GET', '/v1/withdrawals?limit=1', m.key);
      expect(listed.body.data.map((w: { id: string }) => w.id)).toEqual([id]);

      // The hot address the tokens left from is Settle's own: a withdrawal there would vanish as an internal move.
      const hot = await stack.pool.query<{ address: string }>(
        "SELECT address FROM addresses WHERE merchant_id = $1 AND owner_type = 'hot'",
        [m.id],
      );
      const toHot = await stack.api('POST', '/v1/withdraw', m.key, { amount: '5', to_address: hot.rows[0]!.address });
      expect(toHot.status).toBe(400);
      expect(toHot.body.error).toMatchObject({ code: 'destination_is_settle_address', param: 'to_address' });
    },
    SLOW,
  );

  test(
    'when two concurrent withdrawals together exceed the balance, then one is reserved and the other is rejected with nothing written',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '50');
      const recipient = Wallet.createRandom().address;
      const [a, b] = await Promise.all(
        ['race-a', 'race-b'].map((k) =>
          stack.api('POST', '/v1/withdraw', m.key, { amount: '30', to_address: recipient }, { 'Idempotency-Key': k }),
        ),
      );
      const statuses = [a!.status, b!.status].sort();
      expect(statuses).toEqual([201, 400]);
      const rejected = a!.status === 400 ? a! : b!;
      const accepted = a!.status === 201 ? a! : b!;
      expect(rejected.body.error).toMatchObject({ type: 'invalid_request_error', code: 'insufficient_balance', param: 'amount' });

      await waitForStatus(m.key, accepted.body.id, 'completed');
      const withdrawals = await stack.pool.query('SELECT id FROM withdrawals WHERE merchant_id = $1', [m.id]);
      expect(withdrawals.rows).toEqual([{ id: accepted.body.id }]);
      const sums = await ledgerSums(m.id);
      expect(sums['merchant:available']).toBe(units('20'));
      expect(sums['external:chain_outflow']).toBe(units('30'));
      await expectBalancedPostings();
      expect(await transfersTo(recipient)).toHaveLength(1);
    },
    SLOW,
  );

  test(
    'when the worker dies right after the transfer is signed, then the restarted worker sends that same transfer exactly once',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '40');
      const recipient = Wallet.createRandom().address;
      const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '15', to_address: recipient });
      expect(created.status).toBe(201);
      const purpose = `withdrawal:${created.body.id}:transfer`;
      await eventually(
        async () => {
          const r = await stack.pool.query('SELECT 1 FROM signed_transactions WHERE purpose = $1', [purpose]);
          return r.rowCount ? true : undefined;
        },
        'the transfer to be signed',
        180_000,
      );
      await stack.stopWorker();
      await stack.startWorker();

      const done = await waitForStatus(m.key, created.body.id, 'completed');
      const stored = await stack.pool.query<{ tx_hash: string }>('SELECT tx_hash FROM signed_transactions WHERE purpose = $1', [
        purpose,
      ]);
      expect(stored.rows.map((r) => r.tx_hash)).toContain(done.transaction_hash);
      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units('15'));
    },
    SLOW,
  );

  test(
    'when the worker dies between broadcast and confirmation, then the withdrawal completes with exactly one transfer',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '40');
      const recipient = Wallet.createRandom().address;
      try {
        const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '12.5', to_address: recipient });
        expect(created.status).toBe(201);
        // Sweeps need their confirmations; once the transfer is being signed, the miner stops: the
        // transfer gets its own block (Anvil mines each transaction) but no further confirmations.
        await eventually(
          async () => {
            const r = await stack.pool.query('SELECT status FROM withdrawals WHERE id = $1', [created.body.id]);
            return ['signing', 'broadcast'].includes(r.rows[0]?.status) ? true : undefined;
          },
          'the withdrawal to reach signing',
          180_000,
        );
        mining = false;
        await eventually(
          async () => ((await transfersTo(recipient)).length ? true : undefined),
          'the transfer to be mined',
          180_000,
        );
        await stack.stopWorker();
        await stack.mine(5);
        await stack.startWorker();
        mining = true;
        const done = await waitForStatus(m.key, created.body.id, 'completed');
        expect(done.amount).toBe('12.50');
      } finally {
        mining = true;
      }
      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units('12.5'));
      await expectBalancedPostings();
    },
    SLOW,
  );

  test('when a withdrawal request is invalid or the key lacks the withdraw scope, then it is refused with a 4xx and nothing is reserved', async () => {
    const m = await stack.merchant();
    const readOnly = await stack.merchant({ scopes: ['read'] });
    const good = Wallet.createRandom().address;
    const badChecksum =
      good.slice(0, 2) +
      [...good.slice(2)].map((c) => (/[a-f]/.test(c) ? c.toUpperCase() : /[A-F]/.test(c) ? c.toLowerCase() : c)).join('');
    const invoice = await stack.api('POST', '/v1/invoices', m.key, { amount: '5' });
    const ownDeposit = invoice.body.data.deposit_address as string;
    const cases: Array<[unknown, string]> = [
      [{ amount: '1', to_address: badChecksum }, 'invalid_address'],
      [{ amount: '0.99', to_address: good }, 'amount_below_minimum'],
      [{ amount: '1', to_address: stack.token }, 'destination_is_token_contract'],
      [{ amount: '1', to_address: ownDeposit }, 'destination_is_settle_address'],
      [{ amount: '1', to_address: ownDeposit.toLowerCase() }, 'destination_is_settle_address'],
      [{ amount: '1', to_address: '0x0000000000000000000000000000000000000000' }, 'invalid_address'],
      [{ amount: '1', to_address: 'not-an-address' }, 'invalid_address'],
      [{ amount: '0', to_address: good }, 'invalid_amount'],
      [{ amount: '-5', to_address: good }, 'parameter_invalid'],
      [{ amount: '1', to_address: good, currency: 'DOGE' }, 'unsupported_currency'],
      [{ amount: '0.0009', to_address: good, currency: 'ETH' }, 'amount_below_minimum'],
      [{ amount: '1', to_address: good }, 'insufficient_balance'],
    ];
    for (const [body, code] of cases) {
      const r = await stack.api('POST', '/v1/withdraw', m.key, body);
      expect({ code: r.body.error?.code, status: r.status }).toEqual({ code, status: 400 });
    }
    const forbidden = await stack.api('POST', '/v1/withdraw', readOnly.key, { amount: '1', to_address: good });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('insufficient_scope');
    const ledger = await stack.pool.query('SELECT 1 FROM ledger_entries WHERE merchant_id = $1', [m.id]);
    expect(ledger.rowCount).toBe(0);

    // An Idempotency-Key answers its first request only: reused with another body, it is a 409.
    const first = await stack.api('POST', '/v1/withdraw', m.key, { amount: '1', to_address: good }, { 'Idempotency-Key': 'k1' });
    expect(first.body.error.code).toBe('insufficient_balance');
    const reused = await stack.api('POST', '/v1/withdraw', m.key, { amount: '2', to_address: good }, { 'Idempotency-Key': 'k1' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  test(
    "when the seed's Python withdraw snippet runs against Settle, then it prints the withdrawal's id and status",
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '100');
      const recipient = Wallet.createRandom().address;
      const stdout = await runSeedWithdrawSnippet(m.key, recipient);
      const match = stdout.match(/^Withdrawal (wd_[0-9a-f]+): reserved$/);
      expect(match).not.toBeNull();
      await waitForStatus(m.key, match![1]!, 'completed');
      expect(await balanceOf(recipient)).toBe(units('100'));
    },
    SLOW,
  );

  test(
    "when a customer's address holds both paid ETH and USDT, then the USDT sweep's gas is not paid with the customer's ETH and all of that ETH can be withdrawn",
    async () => {
      const m = await stack.merchant({ feePolicy: { type: 'none' } });
      const customer = (await stack.api('POST', '/api/v1/customers', m.key, { name: 'Both coins' })).body.data;
      const address = customer.addresses.find((a: { network: string }) => a.network === 'local').address as string;
      await stack.sendToken(address, units('30'));
      const faucet = new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider);
      await (await faucet.sendTransaction({ to: address, value: units('2') })).wait();
      await eventually(
        async () => {
          const r = await stack.pool.query<{ currency: string; sum: string }>(
            "SELECT currency, sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 AND account = 'merchant:available' GROUP BY currency",
            [m.id],
          );
          const sums = Object.fromEntries(r.rows.map((x) => [x.currency, BigInt(x.sum)]));
          return sums.USDT === units('30') && sums.ETH === units('2') ? true : undefined;
        },
        'both deposits to be credited',
        120_000,
      );

      const tokenRecipient = Wallet.createRandom().address;
      const usdt = await stack.api('POST', '/v1/withdraw', m.key, { amount: '30', to_address: tokenRecipient });
      expect(usdt.status).toBe(201);
      await waitForStatus(m.key, usdt.body.id, 'completed');
      // The sweep's gas came from a top-up, not from the 2 ETH the customer paid.
      const topUp = await stack.pool.query("SELECT 1 FROM signed_transactions WHERE purpose LIKE 'sweep:' || $1 || '%:gas'", [
        usdt.body.id,
      ]);
      expect(topUp.rowCount).toBe(1);
      expect(await stack.chain.provider.getBalance(address)).toBeGreaterThan(units('2'));
      await expectLedgerMatchesChain(m.id);

      const nativeRecipient = Wallet.createRandom().address;
      const eth = await stack.api('POST', '/v1/withdraw', m.key, {
        amount: '2',
        currency: 'ETH',
        to_address: nativeRecipient,
      });
      expect(eth.status).toBe(201);
      expect(eth.body).toMatchObject({ currency: 'ETH', amount: '2.00' });
      const done = await waitForStatus(m.key, eth.body.id, 'completed');
      expect(await stack.chain.provider.getBalance(nativeRecipient)).toBe(units('2'));
      const sent = await stack.chain.provider.getTransaction(done.transaction_hash);
      expect(sent).toMatchObject({ to: nativeRecipient, value: units('2') });
      expect(await transfersTo(nativeRecipient)).toHaveLength(0);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );

  test('when a transaction is stuck, then it is re-signed with the same nonce and higher fees only while underpriced and below the fee ceiling, and only one attempt is ever mined', async () => {
    const m = await stack.merchant();
    const chains = new ChainProviders(stack.registry);
    const wallet = new HdWallet(stack.seed);
    const tx = createTransactionActivities(stack.pool, chains, wallet);
    const gas = createGasActivities(stack.pool, chains, wallet, tx.signTransaction);
    const signer = { merchantId: m.id, livemode: false, index: 0 };
    const recipient = Wallet.createRandom().address;
    try {
      await gas.ensureHotGas({ network: 'local', merchantId: m.id, livemode: false });
      mining = false;
      await stack.chain.provider.send('evm_setAutomine', [false]);
      const request = { purpose: `test:${m.id}:stuck`, network: 'local', signer, to: recipient, value: '12345' };
      // Concurrent signing of one purpose yields one transaction and consumes one nonce.
      const [first, second] = await Promise.all([tx.signTransaction(request), tx.signTransaction(request)]);
      expect(second.hash).toBe(first.hash);
      const counter = await stack.pool.query<{ next_nonce: string }>('SELECT next_nonce FROM nonces WHERE address = $1', [
        first.from,
      ]);
      expect(Number(counter.rows[0]!.next_nonce)).toBe(first.nonce + 1);

      await tx.broadcastTransaction(request.purpose);
      await tx.broadcastTransaction(request.purpose); // a retry re-sends the same bytes: "already known" is success
      expect(await tx.checkTransaction(request.purpose)).toEqual({ mined: false, attempts: 1 });

      // Offering what blocks ask, it is stuck for another reason: no repricing.
      expect(await tx.replaceTransaction({ purpose: request.purpose, signer })).toMatchObject({ attempt: 0, hash: first.hash });

      // Blocks now ask more than it offers: an empty block at four times its max fee leaves it pending.
      const offered = await stack.pool.query<{ max_fee_per_gas: string }>(
        'SELECT max_fee_per_gas FROM signed_transactions WHERE purpose = $1',
        [request.purpose],
      );
      const firstMaxFee = BigInt(offered.rows[0]!.max_fee_per_gas);
      await stack.chain.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${(firstMaxFee * 4n).toString(16)}`]);
      await stack.mine(1);
      expect(await tx.checkTransaction(request.purpose)).toEqual({ mined: false, attempts: 1 });

      // The network's fee ceiling holds even for an underpriced transaction.
      const cappedRegistry = new NetworkRegistry({
        ...stack.registry.config,
        networks: stack.registry.config.networks.map((n) =>
          n.id === 'local' ? { ...n, maxFeePerGas: (firstMaxFee + 1n).toString() } : n,
        ),
      });
      const cappedChains = new ChainProviders(cappedRegistry);
      try {
        const capped = createTransactionActivities(stack.pool, cappedChains, wallet);
        expect(await capped.replaceTransaction({ purpose: request.purpose, signer })).toMatchObject({ attempt: 0 });
      } finally {
        cappedChains.destroy();
      }

      const replacement = await tx.replaceTransaction({ purpose: request.purpose, signer });
      expect(replacement).toMatchObject({ attempt: 1, nonce: first.nonce });
      expect(replacement.hash).not.toBe(first.hash);
      const fees = await stack.pool.query<{ max_fee_per_gas: string }>(
        'SELECT max_fee_per_gas FROM signed_transactions WHERE purpose = $1 ORDER BY attempt',
        [request.purpose],
      );
      expect(BigInt(fees.rows[1]!.max_fee_per_gas)).toBeGreaterThan(BigInt(fees.rows[0]!.max_fee_per_gas));

      await stack.mine(1);
      const status = await tx.checkTransaction(request.purpose);
      expect(status).toMatchObject({ mined: true, hash: replacement.hash, success: true });
      expect(await stack.chain.provider.getTransactionReceipt(first.hash)).toBeNull();
      expect(await stack.chain.provider.getBalance(recipient)).toBe(12345n);
    } finally {
      await stack.chain.provider.send('evm_setAutomine', [true]);
      mining = true;
      chains.destroy();
    }
  });
});
