import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AbiCoder, Contract, keccak256, parseUnits, toBeHex, Wallet, zeroPadValue } from 'ethers';
import { erc20Interface, TRANSFER_TOPIC } from '../../activities/chain/erc20';
import { Account, post } from '../../activities/db/ledger';
import { inTransaction } from '../../activities/db/pool';
import { HdWallet } from '../../activities/wallet/hd-wallet';
import { walletAccount } from '../../activities/wallet/wallet-account';
import { LOCAL_FAUCET_KEY } from '../../scripts/dev-stack/local-chain';
import { provisionedBinaries } from '../../scripts/dev-stack/processes';
import { eventually, type TestStack } from './test-stack';

export const units = (amount: string) => parseUnits(amount, 18);

/**
 * Paying invoices, waiting for withdrawals and reading the chain, shared by the withdrawal test
 * files. Takes the stack lazily: test files start it in beforeAll.
 */
export function withdrawalFixtures(current: () => TestStack) {
  const balanceOf = async (address: string) => {
    const stack = current();
    const token = new Contract(stack.token, erc20Interface, stack.chain.provider);
    return (await token.getFunction('balanceOf')(address)) as bigint;
  };

  const transfersTo = async (recipient: string) =>
    current().chain.provider.getLogs({
      address: current().token,
      topics: [TRANSFER_TOPIC, null, zeroPadValue(recipient.toLowerCase(), 32)],
      fromBlock: 0,
    });

  /** Pays a real invoice (an ERC-20 transfer, or a plain one for ETH) and waits until its deposit is credited. */
  const payInvoice = async (key: string, amount: string, currency: 'USDT' | 'ETH' = 'USDT') => {
    const stack = current();
    // A busy machine can outlast a stack's short workflow wait: the same key picks the invoice up.
    const idempotencyKey = `pay-${Math.random().toString(36).slice(2)}`;
    const invoice = await eventually(
      async () => {
        const r = await stack.api('POST', '/v1/invoices', key, { amount, currency }, { 'Idempotency-Key': idempotencyKey });
        if (r.status !== 503) expect(r.status).toBe(201);
        return r.status === 201 ? r.body.data : undefined;
      },
      'the invoice to be created',
      120_000,
    );
    if (currency === 'USDT') await stack.sendToken(invoice.deposit_address, units(amount));
    else {
      const faucet = new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider);
      await (await faucet.sendTransaction({ to: invoice.deposit_address, value: units(amount) })).wait();
    }
    await eventually(
      async () => {
        const r = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
        return r.body.data?.status === 'paid' && r.body.data.deposits[0]?.status === 'completed' ? true : undefined;
      },
      `invoice ${invoice.id} to be paid`,
      120_000,
    );
    await eventually(
      async () => {
        const r = await stack.pool.query(
          "SELECT 1 FROM ledger_entries WHERE ref_type = 'deposit' AND ref_id IN (SELECT id FROM deposits WHERE invoice_id = $1)",
          [invoice.id],
        );
        return r.rowCount ? true : undefined;
      },
      'the deposit to be credited',
      120_000,
    );
    return invoice as { id: string; deposit_address: string };
  };

  const waitForStatus = (key: string, id: string, status: string, timeoutMs = 180_000) =>
    eventually(
      async () => {
        const r = await current().api('GET', `/v1/withdrawals/${id}`, key);
        if (r.body.data?.status === 'failed' && status !== 'failed')
          throw new Error(`withdrawal failed: ${r.body.data.failure_reason}`);
        return r.body.data?.status === status ? r.body.data : undefined;
      },
      `withdrawal ${id} to be ${status}`,
      timeoutMs,
    );

  /** Tokens on every address Settle derived for the merchant (deposit addresses and the hot address). */
  const tokensOnChain = async (merchantId: string) => {
    const rows = await current().pool.query<{ address: string }>(
      'SELECT DISTINCT address FROM addresses WHERE merchant_id = $1',
      [merchantId],
    );
    let total = 0n;
    for (const r of rows.rows) total += await balanceOf(r.address);
    return total;
  };

  /**
   * The ledger equals the chain to the base unit, for the token and the native coin: what the
   * external counterparties gave minus what they took (deposits, withdrawals, gas, gas funding) is
   * exactly what the merchant's addresses hold. Every posting balances.
   */
  const expectLedgerMatchesChain = async (merchantId: string) => {
    const stack = current();
    const addresses = await stack.pool.query<{ address: string }>(
      'SELECT DISTINCT address FROM addresses WHERE merchant_id = $1',
      [merchantId],
    );
    let native = 0n;
    for (const r of addresses.rows) native += await stack.chain.provider.getBalance(r.address);
    const external = async (currency: string) => {
      const row = await stack.pool.query<{ sum: string }>(
        `SELECT coalesce(sum(amount), 0)::text AS sum FROM ledger_entries
         WHERE merchant_id = $1 AND currency = $2 AND account LIKE 'external:%'`,
        [merchantId, currency],
      );
      return -BigInt(row.rows[0]!.sum);
    };
    expect({ USDT: await tokensOnChain(merchantId), ETH: native }).toEqual({
      USDT: await external('USDT'),
      ETH: await external('ETH'),
    });
    const unbalanced = await stack.pool.query('SELECT txn_id FROM ledger_entries GROUP BY txn_id HAVING sum(amount) <> 0');
    expect(unbalanced.rows).toEqual([]);
  };

  /**
   * Runs seed 000's withdraw snippet (verbatim apart from API_KEY, BASE and the elided to_address)
   * and returns what it prints. `retrying` adds the retry a careful client wraps around a request:
   * any 5xx or answer without an id is sent again, printing each HTTP status.
   */
  const runSeedWithdrawSnippet = async (key: string, recipient: string, retrying = false) => {
    const post = retrying
      ? [
          'def api_post(path, body):',
          '    for attempt in range(3):',
          '        r = requests.post(BASE + path, json=body, headers=HEADERS)',
          '        print(f"HTTP {r.status_code}")',
          '        if r.status_code < 500 and "id" in r.json(): return r.json()',
          '    return r.json()',
        ]
      : ['def api_post(path, body): return requests.post(BASE + path, json=body, headers=HEADERS).json()'];
    const script = [
      'import requests',
      `API_KEY = "${key}"`,
      `BASE = "${current().apiUrl}/v1"`,
      'HEADERS = { "X-API-Key": API_KEY, "Content-Type": "application/json", }',
      'def api_get(path): return requests.get(BASE + path, headers=HEADERS).json()',
      ...post,
      `resp = api_post("/withdraw", { "amount": "100.00", "to_address": "${recipient}", })`,
      `print(f"Withdrawal {resp['id']}: {resp['status']}")`,
    ].join('\n');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'settle-seed-')), 'withdraw.py');
    writeFileSync(file, script);
    // The provisioned virtualenv (scripts/provision/python-venv.sh), not whatever the host has.
    // Asked of the (cached, idempotent) script when the recorded paths predate it.
    const python =
      provisionedBinaries().python ??
      execFileSync('bash', [path.join(__dirname, '../../scripts/provision/python-venv.sh')])
        .toString()
        .trim();
    const { stdout } = await promisify(execFile)(python, [file]);
    return stdout.trim();
  };

  /**
   * Gives a merchant `count` completed, credited USDT deposits of `amount` base units, each on its
   * own derived address, the way the watcher would leave them, in seconds rather than hours: the
   * token balances are written into the test token's storage (`balanceOf` is slot 1), the deposit
   * rows and their ledger postings into PostgreSQL. Sweeping them is then entirely real.
   */
  const fundDepositAddresses = async (merchantId: string, count: number, amount: bigint) => {
    const stack = current();
    const wallet = new HdWallet(stack.seed);
    const account = await walletAccount(stack.pool, merchantId);
    const addresses: string[] = [];
    for (let i = 0; i < count; i++) {
      const index = 1_000_000 + i;
      const address = wallet.address(account, false, index).toLowerCase();
      addresses.push(address);
      const slot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [address, 1]));
      await stack.chain.provider.send('anvil_setStorageAt', [stack.token, slot, toBeHex(amount, 32)]);
      const depositId = `dep_bulk_${merchantId}_${i}`;
      await inTransaction(stack.pool, async (db) => {
        await db.query(
          `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
           VALUES ('local', $1, $2, false, $3, 'customer', $4)`,
          [address, merchantId, index, `bulk:${merchantId}:${i}`],
        );
        await db.query(
          `INSERT INTO deposits (id, merchant_id, livemode, network, tx_hash, log_index, block_number, block_hash,
             from_address, to_address, currency, amount, status, confirmations, detected_at, snapshot)
           VALUES ($1, $2, false, 'local', $3, 0, 1, $3, $4, $5, 'USDT', $6, 'completed', 100, now(), '{}')`,
          [depositId, merchantId, keccak256(Buffer.from(depositId)), stack.token, address, amount.toString()],
        );
        await post(db, {
          txnId: `deposit:${depositId}`,
          merchantId,
          livemode: false,
          network: 'local',
          currency: 'USDT',
          refType: 'deposit',
          refId: depositId,
          entries: [
            { account: Account.chainInflow, amount: -amount },
            { account: Account.available, amount },
          ],
        });
      });
    }
    return addresses;
  };

  return {
    fundDepositAddresses,
    runSeedWithdrawSnippet,
    balanceOf,
    transfersTo,
    payInvoice,
    waitForStatus,
    tokensOnChain,
    expectLedgerMatchesChain,
  };
}
