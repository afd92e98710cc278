import { Wallet, zeroPadValue } from 'ethers';
import { TRANSFER_TOPIC } from '../activities/chain/erc20';
import { TestStack, eventually } from './harness/test-stack';
import { units, withdrawalFixtures } from './harness/withdrawal-fixtures';
import type { PayoutInput, PayoutSnapshot } from '../domain/payouts';
import { paymentTaskQueue } from '../domain/task-queues';

const SLOW = 480_000;

/**
 * Batch payouts end to end on Anvil, the Temporal dev server and PostgreSQL: one reservation for
 * the total, the deposits swept to the hot address once, then one transfer per item from the hot
 * address's nonce sequence, each item tracked to completion.
 */
describe('batch payouts', () => {
  let stack: TestStack;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2 });
    miner = setInterval(() => void stack.mine(1).catch(() => undefined), 250);
  });
  afterAll(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  const { payInvoice, expectLedgerMatchesChain } = withdrawalFixtures(() => stack);

  const waitForPayout = (key: string, id: string, status: string) =>
    eventually(
      async () => {
        const r = await stack.api('GET', `/v1/payouts/${id}`, key);
        return r.body.data?.status === status ? r.body.data : undefined;
      },
      `payout ${id} to be ${status}`,
      360_000,
    );

  const hotAddress = async (merchantId: string) =>
    (
      await stack.pool.query<{ address: string }>("SELECT address FROM addresses WHERE merchant_id = $1 AND owner_type = 'hot'", [
        merchantId,
      ])
    ).rows[0]!.address;

  /** Every token transfer out of an address, by recipient. */
  const transfersFrom = async (from: string) => {
    const logs = await stack.chain.provider.getLogs({
      address: stack.token,
      topics: [TRANSFER_TOPIC, zeroPadValue(from.toLowerCase(), 32)],
      fromBlock: 0,
    });
    return logs.map((l) => ({ to: `0x${l.topics[2]!.slice(26)}`, amount: BigInt(l.data) }));
  };

  const eventTypes = async (objectId: string) =>
    (
      await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [objectId])
    ).rows.map((r) => r.type);

  test(
    'when a merchant pays out 120 items, then each recipient gets exactly one transfer of its amount from consecutive nonces and the ledger equals the chain',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '300');
      await payInvoice(m.key, '250');
      const recipients = Array.from({ length: 120 }, () => Wallet.createRandom().address);
      // 1.00, 1.01, … 2.19: every amount differs, so a transfer to the wrong item would show.
      const amountOf = (i: number) => (1 + i / 100).toFixed(2);
      const items = recipients.map((to_address, i) => ({ amount: amountOf(i), to_address, reference: `order-${i}` }));
      const total = items.reduce((s, i) => s + units(i.amount), 0n);

      // A dropped connection is retried with the same key, as a careful client does: it finds the same payout.
      const post = () => stack.api('POST', '/v1/payouts', m.key, { items }, { 'Idempotency-Key': 'batch-120' });
      const created = await post().catch(post);
      expect([200, 201]).toContain(created.status);
      const payout = created.body.data;
      expect(payout).toMatchObject({ object: 'payout', status: 'reserved', item_count: 120, currency: 'USDT', network: 'local' });
      expect(payout.amount).toBe('191.40');
      expect(new Set(payout.items.map((i: { id: string }) => i.id)).size).toBe(120);
      expect(payout.items[7]).toMatchObject({ object: 'payout_item', status: 'pending', amount: '1.07', reference: 'order-7' });

      const again = await post().catch(post);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.data.id).toBe(payout.id);

      const done = await waitForPayout(m.key, payout.id, 'completed');
      expect(done).toMatchObject({ items_completed: 120, items_failed: 0 });
      for (const item of done.items) expect(item.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);

      const out = await transfersFrom(await hotAddress(m.id));
      expect(out).toHaveLength(120);
      const byRecipient = new Map(out.map((t) => [t.to, t.amount]));
      recipients.forEach((r, i) => expect([i, byRecipient.get(r.toLowerCase())]).toEqual([i, units(amountOf(i))]));

      // One nonce sequence from the hot address, in item order.
      const nonces = await stack.pool.query<{ nonce: string }>(
        `SELECT t.nonce FROM signed_transactions t JOIN payout_items i ON t.purpose = 'payout-item:' || i.id || ':transfer'
         WHERE i.payout_id = $1 AND t.attempt = 0 ORDER BY i.position`,
        [payout.id],
      );
      const sequence = nonces.rows.map((r) => Number(r.nonce));
      expect(sequence).toEqual(sequence.map((_, i) => sequence[0]! + i));

      const balance = await stack.api('GET', '/v1/balance', m.key);
      expect(balance.body.data).toMatchObject({ available: '358.60', reserved: '0.00', total_withdrawn: '191.40' });
      expect(units('550') - total).toBe(units('358.60'));
      await expectLedgerMatchesChain(m.id);

      const events = await eventually(async () => {
        const types = await eventTypes(payout.id);
        return types.includes('payout.completed') ? types : undefined;
      }, 'payout events');
      expect(events).toEqual(['payout.created', 'payout.completed']);
      const itemEvents = await eventually(async () => {
        const r = await stack.pool.query<{ type: string; n: number }>(
          "SELECT type, count(*)::int AS n FROM events WHERE type LIKE 'payout_item.%' AND merchant_id = $1 GROUP BY type ORDER BY type",
          [m.id],
        );
        return r.rows.length === 2 ? r.rows : undefined;
      }, 'item events');
      expect(itemEvents).toEqual([
        { type: 'payout_item.completed', n: 120 },
        { type: 'payout_item.sent', n: 120 },
      ]);
    },
    SLOW,
  );

  test('when a payout is invalid or larger than the balance, then it is refused with the offending item named and nothing is reserved', async () => {
    const m = await stack.merchant();
    const ok = { amount: '1', to_address: Wallet.createRandom().address };
    const cases: Array<[unknown, number, string, string]> = [
      [{ items: [] }, 400, 'parameter_invalid', 'items'],
      [{ items: [ok, { amount: '1', to_address: '0x1234' }] }, 400, 'invalid_address', 'items.1.to_address'],
      [{ items: [ok, { ...ok, amount: '0' }] }, 400, 'invalid_amount', 'items.1.amount'],
      [{ items: [ok, { ...ok, currency: 'ETH' }] }, 400, 'mixed_currencies', 'items.1.currency'],
      [{ items: [ok, { ...ok, to_address: stack.token }] }, 400, 'destination_is_token_contract', 'items.1.to_address'],
      [{ items: [ok, ok] }, 400, 'insufficient_balance', 'items'],
    ];
    for (const [body, status, code, param] of cases) {
      const r = await stack.api('POST', '/v1/payouts', m.key, body);
      expect([code, r.status, r.body.error?.code, r.body.error?.param]).toEqual([code, status, code, param]);
    }
    const rows = await stack.pool.query('SELECT 1 FROM payouts WHERE merchant_id = $1', [m.id]);
    expect(rows.rowCount).toBe(0);
    const ledger = await stack.pool.query('SELECT 1 FROM ledger_entries WHERE merchant_id = $1', [m.id]);
    expect(ledger.rowCount).toBe(0);

    const readOnly = await stack.merchant({ scopes: ['read', 'write'] });
    const denied = await stack.api('POST', '/v1/payouts', readOnly.key, { items: [ok] });
    expect([denied.status, denied.body.error?.code]).toEqual([403, 'insufficient_scope']);
  });

  test(
    'when a payout needs more rounds than one run allows, then it continues as new and still sends each item exactly once',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '100');
      // More items than one send batch (50), so the first run ends with items still pending.
      const recipients = Array.from({ length: 60 }, () => Wallet.createRandom().address);
      const id = `po_${'c'.repeat(24)}`;
      const input: PayoutInput = {
        id,
        kind: 'payout',
        invoiceId: null,
        merchantId: m.id,
        livemode: false,
        network: 'local',
        currency: 'USDT',
        contract: stack.token,
        decimals: 18,
        amount: units('60').toString(),
        nativeSymbol: 'ETH',
        items: recipients.map((toAddress, i) => ({
          id: `poi_${String(i).padStart(24, '0')}`,
          amount: units('1').toString(),
          toAddress,
          reference: null,
        })),
        createdAt: new Date().toISOString(),
        requiredConfirmations: 2,
        blockTimeMs: 1000,
        stuckAfterMs: 60_000,
        requestFingerprint: 'test',
        roundsPerRun: 1,
      };
      const handle = await stack.client.workflow.start('payoutWorkflow', {
        workflowId: `payout-${id}`,
        taskQueue: paymentTaskQueue(stack.taskQueue, false),
        args: [input],
      });
      const result = (await handle.result()) as PayoutSnapshot;
      expect(result.status).toBe('completed');

      // Follow the chain of runs from the first: each but the last continued as new, none near the history limit.
      let runId: string | undefined = handle.firstExecutionRunId;
      let runs = 0;
      while (runId) {
        const history = await stack.client.workflow.getHandle(`payout-${id}`, runId).fetchHistory();
        const events: NonNullable<typeof history.events> = history.events ?? [];
        runs++;
        expect(events.length).toBeLessThan(10_000);
        const next: string | null | undefined = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        runId = next ?? undefined;
      }
      expect(runs).toBeGreaterThan(1);
      const out = await transfersFrom(await hotAddress(m.id));
      expect(out.map((t) => t.to).sort()).toEqual(recipients.map((r) => r.toLowerCase()).sort());
      expect(await eventTypes(id)).toEqual(['payout.created', 'payout.completed']);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );
  test(
    'when a merchant lists its payouts, then each page holds the newest first with items counted, the cursor reaches the rest, and no other merchant sees them',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '10');
      const ids: string[] = [];
      for (const amounts of [['1'], ['1', '2'], ['1', '1', '1']]) {
        const items = amounts.map((amount) => ({ amount, to_address: Wallet.createRandom().address }));
        const created = await stack.api('POST', '/v1/payouts', m.key, { items });
        expect(created.status).toBe(201);
        ids.push(created.body.data.id);
      }
      for (const id of ids) await waitForPayout(m.key, id, 'completed');

      const first = await stack.api('GET', '/v1/payouts?limit=2', m.key);
      expect(first.status).toBe(200);
      expect(first.body.has_more).toBe(true);
      expect(first.body.data.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
      expect(first.body.data[0]).toMatchObject({
        object: 'payout',
        status: 'completed',
        amount: '3.00',
        item_count: 3,
        items_completed: 3,
        items_failed: 0,
      });
      expect(first.body.data[0].items).toBeUndefined();
      const rest = await stack.api('GET', `/api/v1/payouts?limit=2&starting_after=${first.body.next_cursor}`, m.key);
      expect(rest.body).toMatchObject({ has_more: false, next_cursor: null });
      expect(rest.body.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);

      const failed = await stack.api('GET', '/v1/payouts?status=failed', m.key);
      expect(failed.body.data).toEqual([]);
      const bad = await stack.api('GET', '/v1/payouts?status=rejected', m.key);
      expect([bad.status, bad.body.error?.param]).toEqual([400, 'status']);
      const other = await stack.merchant();
      expect((await stack.api('GET', '/v1/payouts', other.key)).body.data).toEqual([]);
    },
    SLOW,
  );
});
