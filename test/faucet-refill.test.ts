import { Wallet, parseEther } from 'ethers';
import { Account } from '../activities/db/ledger';
import { sendFaucetRefill, type FaucetRefill } from '../activities/wallet/faucet-refill';
import { TestStack } from './harness/test-stack';

describe('test-mode gas refills from the local faucet', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start();
  });
  afterAll(async () => stack?.stop());

  const refill = (merchantId: string, to: string): FaucetRefill => ({
    network: 'local',
    currency: 'ETH',
    merchantId,
    livemode: false,
    to,
    amount: parseEther('10'),
  });
  /** What the ledger says the faucet gave the merchant. */
  const booked = async (merchantId: string) =>
    -BigInt(
      (
        await stack.pool.query<{ total: string }>(
          'SELECT coalesce(sum(amount), 0)::text AS total FROM ledger_entries WHERE merchant_id = $1 AND account = $2',
          [merchantId, Account.gasFunding],
        )
      ).rows[0]!.total,
    );

  test('when two merchants are refilled at the same moment, then each refill is booked to the merchant it reached', async () => {
    const a = await stack.merchant();
    const b = await stack.merchant();
    const [toA, toB] = [Wallet.createRandom().address, Wallet.createRandom().address];
    const hashes = await Promise.all([
      sendFaucetRefill(stack.pool, stack.chain.provider, refill(a.id, toA)),
      sendFaucetRefill(stack.pool, stack.chain.provider, refill(b.id, toB)),
    ]);
    await Promise.all(hashes.map((h) => stack.chain.provider.waitForTransaction(h)));
    expect(await stack.chain.provider.getBalance(toA)).toBe(parseEther('10'));
    expect(await stack.chain.provider.getBalance(toB)).toBe(parseEther('10'));
    expect(await booked(a.id)).toBe(parseEther('10'));
    expect(await booked(b.id)).toBe(parseEther('10'));
  });

  test('when a reorg drops a refill and its nonce goes to another merchant, then the booking moves with it', async () => {
    const a = await stack.merchant();
    const b = await stack.merchant();
    const [toA, toB] = [Wallet.createRandom().address, Wallet.createRandom().address];
    await stack.chain.provider.waitForTransaction(await sendFaucetRefill(stack.pool, stack.chain.provider, refill(a.id, toA)));
    expect(await booked(a.id)).toBe(parseEther('10'));

    // The block holding A's refill is replaced by an empty one: the refill is gone, its nonce free.
    await stack.chain.provider.send('anvil_reorg', [1, []]);
    expect(await stack.chain.provider.getBalance(toA)).toBe(0n);
    await stack.chain.provider.waitForTransaction(await sendFaucetRefill(stack.pool, stack.chain.provider, refill(b.id, toB)));

    expect(await stack.chain.provider.getBalance(toB)).toBe(parseEther('10'));
    expect(await booked(a.id)).toBe(0n);
    expect(await booked(b.id)).toBe(parseEther('10'));
  });
});
