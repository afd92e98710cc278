import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { createApiKey, createMerchant } from '../activities/db/merchants';
import { migrate } from '../activities/db/migrate';
import { createPool } from '../activities/db/pool';
import { createAllocateAddress } from '../activities/wallet/allocate-address';
import { HdWallet } from '../activities/wallet/hd-wallet';

const MIGRATIONS = path.join(__dirname, '../activities/db/migrations');

/** A database as it was before issue 14, with a merchant and keys in it, then upgraded. */
describe('upgrading an existing database (migrations 007a, 007b)', () => {
  const admin = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  const dbName = `settle_test_${randomBytes(6).toString('hex')}`;
  let pool: Pool;
  const wallet = new HdWallet(randomBytes(32).toString('hex'));

  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${dbName}`;
    pool = createPool(url.toString(), 4);
    await pool.query('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const file of readdirSync(MIGRATIONS)
      .filter((f) => f.endsWith('.sql') && f < '007')
      .sort()) {
      await pool.query(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
      await pool.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
    }
  });
  afterAll(async () => {
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  test('when upgraded, then full-access keys gain webhooks, narrower keys do not, and old merchants keep their addresses while new ones get hardened paths', async () => {
    const old = (
      await pool.query<{ id: string; account_index: number }>(
        `INSERT INTO merchants (id, name, callback_secret, callback_secret_test) VALUES ('mer_old', 'Old', 'a', 'b') RETURNING id, account_index`,
      )
    ).rows[0]!;
    const insertKey = (id: string, scopes: string[]) =>
      pool.query(
        `INSERT INTO api_keys (id, merchant_id, livemode, key_hash, key_prefix, scopes) VALUES ($1, 'mer_old', false, $1, 'sk', $2)`,
        [id, scopes],
      );
    await insertKey('key_full', ['read', 'write', 'withdraw']);
    await insertKey('key_storefront', ['write']);
    await insertKey('key_reader', ['read']);
    // An address the pre-007 code allocated: index 1 on m/44'/60'/<account>'/0/1.
    const legacy = { index: old.account_index, scheme: 1 as const };
    const before = wallet.address(legacy, true, 1);
    await pool.query(`INSERT INTO wallet_counters (merchant_id, livemode, next_index) VALUES ('mer_old', true, 2)`);
    await pool.query(
      `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
       VALUES ('bsc', $1, 'mer_old', true, 1, 'customer', 'cus_a')`,
      [before.toLowerCase()],
    );

    await migrate(pool);

    const scopes = await pool.query<{ id: string; scopes: string[] }>('SELECT id, scopes FROM api_keys ORDER BY id');
    expect(scopes.rows).toEqual([
      { id: 'key_full', scopes: ['read', 'write', 'withdraw', 'webhooks'] },
      { id: 'key_reader', scopes: ['read'] },
      { id: 'key_storefront', scopes: ['write'] },
    ]);

    // The old merchant's existing and next addresses stay on scheme 1.
    const allocate = createAllocateAddress(pool, wallet);
    const again = await allocate({
      merchantId: 'mer_old',
      livemode: true,
      ownerType: 'customer',
      ownerId: 'cus_a',
      networks: ['bsc'],
    });
    expect(again).toBe(before);
    const next = await allocate({
      merchantId: 'mer_old',
      livemode: true,
      ownerType: 'invoice',
      ownerId: 'inv_b',
      networks: ['bsc'],
    });
    expect(next).toBe(wallet.address(legacy, true, 2));

    // A merchant created after the upgrade derives below a hardened mode level.
    const fresh = await createMerchant(pool, { name: 'New' });
    expect(fresh.derivationScheme).toBe(2);
    const address = await allocate({
      merchantId: fresh.id,
      livemode: false,
      ownerType: 'invoice',
      ownerId: 'inv_c',
      networks: ['local'],
    });
    expect(address).toBe(wallet.address({ index: fresh.accountIndex, scheme: 2 }, false, 1));
    expect(address).not.toBe(wallet.address({ index: fresh.accountIndex, scheme: 1 }, false, 1));
    expect((await createApiKey(pool, { merchantId: fresh.id, livemode: false, scopes: ['webhooks'] })).key).toMatch(/^sk_test_/);
  });
});
