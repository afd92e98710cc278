import { AbiCoder, keccak256, toBeHex, Wallet } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';
import { units, withdrawalFixtures } from './harness/withdrawal-fixtures';

const SLOW = 300_000;

/**
 * Refunds end to end on Anvil, the Temporal dev server and PostgreSQL: money an invoice received
 * goes back from the merchant's balance as one transfer, never more than the invoice received.
 */
describe('invoice refunds', () => {
  let stack: TestStack;
  let mining = true;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2 });
    miner = setInterval(() => {
      if (mining) stack.mine(1).catch(() => undefined);
    }, 250);
  });
  afterAll(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  const { payInvoice, balanceOf, transfersTo, tokensOnChain, expectLedgerMatchesChain } = withdrawalFixtures(() => stack);

  /** An invoice for `asked` paid `paid`, waited for until the deposit is credited. */
  const overpaidInvoice = async (key: string, asked: string, paid: string) => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: asked })).body.data;
    await stack.sendToken(invoice.deposit_address, units(paid));
    await eventually(
      async () => {
        const r = await stack.pool.query("SELECT 1 FROM deposits WHERE invoice_id = $1 AND status = 'completed'", [invoice.id]);
        const credited = await stack.pool.query(
          "SELECT 1 FROM ledger_entries WHERE ref_type = 'deposit' AND ref_id IN (SELECT id FROM deposits WHERE invoice_id = $1)",
          [invoice.id],
        );
        const shown = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
        return r.rowCount && credited.rowCount && shown.body.data.status === 'overpaid' ? true : undefined;
      },
      `invoice ${invoice.id} to be overpaid and credited`,
      120_000,
    );
    return invoice as { id: string };
  };

  const waitForRefund = (key: string, id: string, status: string) =>
    eventually(
      async () => {
        const r = await stack.api('GET', `/v1/refunds/${id}`, key);
        return r.body.data?.status === status ? r.body.data : undefined;
      },
      `refund ${id} to be ${status}`,
      180_000,
    );

  const eventTypes = (objectId: string, count: number) =>
    eventually(async () => {
      const r = await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [
        objectId,
      ]);
      return r.rows.length >= count ? r.rows.map((e) => e.type) : undefined;
    }, `${count} events of ${objectId}`);

  const ledgerSum = async (merchantId: string, account: string) =>
    BigInt(
      (
        await stack.pool.query<{ sum: string }>(
          "SELECT coalesce(sum(amount), 0)::text AS sum FROM ledger_entries WHERE merchant_id = $1 AND account = $2 AND currency = 'USDT'",
          [merchantId, account],
        )
      ).rows[0]!.sum,
    );

  test(
    'when an overpaid invoice is refunded its excess, then exactly one transfer reaches the customer and more than it received is refused',
    async () => {
      const m = await stack.merchant();
      const invoice = await overpaidInvoice(m.key, '10', '15');
      const customer = Wallet.createRandom().address;

      const created = await stack.api(
        'POST',
        `/v1/invoices/${invoice.id}/refunds`,
        m.key,
        { amount: '5', to_address: customer },
        { 'Idempotency-Key': 'refund-excess' },
      );
      expect(created.status).toBe(201);
      const refund = created.body.data;
      expect(refund).toMatchObject({
        object: 'refund',
        invoice_id: invoice.id,
        status: 'pending',
        amount: '5.00',
        to_address: customer,
      });
      const retried = await stack.api(
        'POST',
        `/v1/invoices/${invoice.id}/refunds`,
        m.key,
        { amount: '5', to_address: customer },
        { 'Idempotency-Key': 'refund-excess' },
      );
      expect(retried.body.data.id).toBe(refund.id);

      const done = await waitForRefund(m.key, refund.id, 'completed');
      expect(done.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);
      const logs = await transfersTo(customer);
      expect(logs).toHaveLength(1);
      expect(await balanceOf(customer)).toBe(units('5'));
      expect(await eventTypes(refund.id, 2)).toEqual(['refund.created', 'refund.completed']);

      const listed = await stack.api('GET', `/v1/invoices/${invoice.id}/refunds`, m.key);
      expect(listed.body.data.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([[refund.id, 'completed']]);

      const tooMuch = await stack.api('POST', `/v1/invoices/${invoice.id}/refunds`, m.key, {
        amount: '10.01',
        to_address: customer,
      });
      expect([tooMuch.status, tooMuch.body.error?.code]).toEqual([400, 'refund_exceeds_received']);

      const balance = await stack.api('GET', '/v1/balance', m.key);
      expect(balance.body.data).toMatchObject({ available: '10.00', reserved: '0.00', total_withdrawn: '5.00' });
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );

  test(
    'when two refunds of one invoice race past what it received, then exactly one is accepted',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '100'); // the balance is not what limits these refunds
      const invoice = await overpaidInvoice(m.key, '5', '10');
      const customer = Wallet.createRandom().address;
      const [a, b] = await Promise.all(
        ['race-a', 'race-b'].map((key) =>
          stack.api(
            'POST',
            `/v1/invoices/${invoice.id}/refunds`,
            m.key,
            { amount: '6', to_address: customer },
            { 'Idempotency-Key': key },
          ),
        ),
      );
      expect([a!.status, b!.status].sort()).toEqual([201, 400]);
      const accepted = a!.status === 201 ? a! : b!;
      const refused = a!.status === 201 ? b! : a!;
      expect(refused.body.error).toMatchObject({ code: 'refund_exceeds_received', param: 'amount' });
      await waitForRefund(m.key, accepted.body.data.id, 'completed');
      expect(await balanceOf(customer)).toBe(units('6'));
      const refunds = await stack.pool.query('SELECT id FROM payouts WHERE invoice_id = $1', [invoice.id]);
      expect(refunds.rows).toEqual([{ id: accepted.body.data.id }]);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );

  test("when an invoice paid exactly on time or another merchant's invoice is refunded, then it is refused", async () => {
    const m = await stack.merchant();
    const paid = await payInvoice(m.key, '20');
    const to_address = Wallet.createRandom().address;
    const r = await stack.api('POST', `/v1/invoices/${paid.id}/refunds`, m.key, { amount: '1', to_address });
    expect([r.status, r.body.error?.code]).toEqual([400, 'invoice_not_refundable']);
    const other = await stack.merchant();
    const foreign = await stack.api('POST', `/v1/invoices/${paid.id}/refunds`, other.key, { amount: '1', to_address });
    expect([foreign.status, foreign.body.error?.code]).toEqual([404, 'resource_missing']);
    expect((await stack.api('GET', `/v1/invoices/${paid.id}/refunds`, other.key)).status).toBe(404);
  });

  test(
    'when a refund transfer reverts, then the refund fails with refund.failed and its amount is released exactly once',
    async () => {
      const m = await stack.merchant();
      const invoice = await overpaidInvoice(m.key, '10', '30');
      const customer = Wallet.createRandom().address;
      // A first refund puts gas on the hot address, so the next one needs no faucet transaction.
      const first = await stack.api('POST', `/v1/invoices/${invoice.id}/refunds`, m.key, { amount: '1', to_address: customer });
      await waitForRefund(m.key, first.body.data.id, 'completed');
      const hot = (
        await stack.pool.query<{ address: string }>(
          "SELECT address FROM addresses WHERE merchant_id = $1 AND owner_type = 'hot'",
          [m.id],
        )
      ).rows[0]!.address;

      // Tokens on the hot address already (so nothing is swept), then blocks only when the test mines them.
      await stack.sendToken(hot, units('4'));
      const slot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [hot, 1]));
      const held = await stack.chain.provider.getStorage(stack.token, slot);
      expect(BigInt(held)).toBe(await balanceOf(hot));
      mining = false;
      await stack.chain.provider.send('evm_setAutomine', [false]);
      try {
        const created = await stack.api('POST', `/v1/invoices/${invoice.id}/refunds`, m.key, {
          amount: '4',
          to_address: customer,
        });
        expect(created.status).toBe(201);
        const id = created.body.data.id as string;
        await waitForRefund(m.key, id, 'sent');
        // The hot address loses its tokens before the transfer is mined: the transfer reverts.
        await stack.chain.provider.send('anvil_setStorageAt', [stack.token, slot, toBeHex(0, 32)]);
        await stack.mine(3);
        await stack.chain.provider.send('anvil_setStorageAt', [stack.token, slot, held]);
        await stack.chain.provider.send('evm_setAutomine', [true]);
        mining = true;

        const failed = await waitForRefund(m.key, id, 'failed');
        expect(failed.failure_reason).toMatch(/reverted/);
        expect(await eventTypes(id, 2)).toEqual(['refund.created', 'refund.failed']);
        const postings = await stack.pool.query<{ txn_id: string }>(
          'SELECT DISTINCT txn_id FROM ledger_entries WHERE ref_id = $1 AND currency = $2 ORDER BY txn_id',
          [id, 'USDT'],
        );
        expect(postings.rows.map((r) => r.txn_id.replace(id, 'ID').replace(/poi_[0-9a-f]+/, 'ITEM'))).toEqual([
          'payout-item:ITEM:release',
          'payout:ID:reserve',
        ]);
        expect(await ledgerSum(m.id, 'merchant:reserved')).toBe(0n);
        expect(await ledgerSum(m.id, 'merchant:available')).toBe(units('29'));
        expect(await balanceOf(customer)).toBe(units('1'));
        // The failed refund no longer counts against the invoice: the same amount can be refunded again.
        const again = await stack.api('POST', `/v1/invoices/${invoice.id}/refunds`, m.key, { amount: '4', to_address: customer });
        expect(again.status).toBe(201);
        await waitForRefund(m.key, again.body.data.id, 'completed');
        // The tokens minted straight to the hot address are the only difference between chain and ledger.
        expect(await ledgerSum(m.id, 'merchant:available')).toBe(units('25'));
        expect(await tokensOnChain(m.id)).toBe(units('25') + units('4'));
      } finally {
        await stack.chain.provider.send('evm_setAutomine', [true]);
        mining = true;
      }
    },
    SLOW,
  );
});
