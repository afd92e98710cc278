import type { Pool } from 'pg';
import { Account, post } from '../activities/db/ledger';
import { createMerchant } from '../activities/db/merchants';
import { inTransaction } from '../activities/db/pool';
import { createTestDatabase, type TestDatabase } from './harness/test-database';

/** Inserts entries directly, as buggy or hand-written code could, bypassing `post`'s own check. */
async function insertEntries(pool: Pool, merchantId: string, txnId: string, entries: Array<[string, string, bigint]>) {
  await inTransaction(pool, async (db) => {
    for (const [account, currency, amount] of entries) {
      await db.query(
        `INSERT INTO ledger_entries (txn_id, merchant_id, livemode, network, currency, account, amount, ref_type, ref_id)
         VALUES ($1, $2, false, 'local', $3, $4, $5, 'test', $1)`,
        [txnId, merchantId, currency, account, amount.toString()],
      );
    }
  });
}

describe('ledger invariant enforced by PostgreSQL', () => {
  let db: TestDatabase;
  let merchantId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    merchantId = (await createMerchant(db.pool, { name: 'Ledger merchant' })).id;
  });
  afterAll(() => db.drop());

  const entriesOf = async (txnId: string) =>
    (await db.pool.query('SELECT 1 FROM ledger_entries WHERE txn_id = $1', [txnId])).rowCount;

  test('when a posting does not sum to zero, then PostgreSQL refuses it at commit and nothing is written', async () => {
    await expect(
      insertEntries(db.pool, merchantId, 'bad:1', [
        [Account.chainInflow, 'USDT', -100n],
        [Account.available, 'USDT', 99n],
      ]),
    ).rejects.toThrow(/ledger posting bad:1 is unbalanced by -1 USDT/);
    expect(await entriesOf('bad:1')).toBe(0);
  });

  test('when a single entry is inserted outside a transaction, then it is refused', async () => {
    await expect(
      db.pool.query(
        `INSERT INTO ledger_entries (txn_id, merchant_id, livemode, network, currency, account, amount, ref_type, ref_id)
         VALUES ('bad:2', $1, false, 'local', 'USDT', 'merchant:available', 5, 'test', 'bad:2')`,
        [merchantId],
      ),
    ).rejects.toThrow(/unbalanced/);
    expect(await entriesOf('bad:2')).toBe(0);
  });

  test('when a posting balances only by mixing currencies, then it is refused', async () => {
    await expect(
      insertEntries(db.pool, merchantId, 'bad:3', [
        [Account.chainInflow, 'USDT', -100n],
        [Account.available, 'ETH', 100n],
      ]),
    ).rejects.toThrow(/unbalanced/);
    expect(await entriesOf('bad:3')).toBe(0);
  });

  test('when entries are inserted one by one and balance at commit, then the posting is accepted', async () => {
    await insertEntries(db.pool, merchantId, 'good:1', [
      [Account.chainInflow, 'USDT', -100n],
      [Account.available, 'USDT', 97n],
      [Account.fees, 'USDT', 3n],
    ]);
    expect(await entriesOf('good:1')).toBe(3);
  });

  test('when the code posts a balanced posting, then it is accepted once and a retry is a no-op', async () => {
    const posting = {
      txnId: 'deposit:good:2',
      merchantId,
      livemode: false,
      network: 'local',
      currency: 'USDT',
      refType: 'deposit',
      refId: 'good:2',
      entries: [
        { account: Account.chainInflow, amount: -5n },
        { account: Account.available, amount: 5n },
      ],
    };
    expect(await inTransaction(db.pool, (c) => post(c, posting))).toBe(true);
    expect(await inTransaction(db.pool, (c) => post(c, posting))).toBe(false);
    const sums = await db.pool.query('SELECT txn_id FROM ledger_entries GROUP BY txn_id, currency HAVING sum(amount) <> 0');
    expect(sums.rows).toEqual([]);
  });
});
