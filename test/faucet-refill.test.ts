import { Wallet, parseEther } from 'ethers';
import { Account } from '../activities/db/ledger';
import { sendFaucetRefill, settleFaucetRefills, type FaucetRefill } from '../activities/wallet/faucet-refill';
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

  const provider = () => stack.chain.provider;
  const settle = (to: string) => settleFaucetRefills(stack.pool, provider(), { network: 'local', to, confirmations: 3 });

  test('when two merchants are refilled at the same moment, then each refill is booked to the merchant it reached, once it is final', async () => {
    const a = await stack.merchant();
    const b = await stack.merchant();
    const [toA, toB] = [Wallet.createRandom().address, Wallet.createRandom().address];
    const hashes = await Promise.all([
      sendFaucetRefill(stack.pool, provider(), refill(a.id, toA)),
      sendFaucetRefill(stack.pool, provider(), refill(b.id, toB)),
    ]);
    await Promise.all(hashes.map((h) => provider().waitForTransaction(h)));
    // Mined but shallower than the network's confirmations: a reorg could still take it.
    expect(await settle(toA)).toBe(1);
    expect(await booked(a.id)).toBe(0n);

    await stack.mine(3);
    expect([await settle(toA), await settle(toB)]).toEqual([0, 0]);
    expect(await provider().getBalance(toA)).toBe(parseEther('10'));
    expect(await provider().getBalance(toB)).toBe(parseEther('10'));
    expect(await booked(a.id)).toBe(parseEther('10'));
    expect(await booked(b.id)).toBe(parseEther('10'));
    // Settling again books nothing twice.
    expect(await settle(toA)).toBe(0);
    expect(await booked(a.id)).toBe(parseEther('10'));
  });

  test('when a reorg drops a refill and no other refill follows, then settling sends it again and books it once', async () => {
    const a = await stack.merchant();
    const toA = Wallet.createRandom().address;
    await provider().waitForTransaction(await sendFaucetRefill(stack.pool, provider(), refill(a.id, toA)));

    // The block holding the refill is replaced by an empty one: the refill is gone, nothing reuses its nonce.
    await provider().send('anvil_reorg', [1, []]);
    expect(await provider().getBalance(toA)).toBe(0n);

    expect(await settle(toA)).toBe(1); // sent again; Anvil mines it at once
    expect(await provider().getBalance(toA)).toBe(parseEther('10'));
    await stack.mine(3);
    expect(await settle(toA)).toBe(0);
    expect(await booked(a.id)).toBe(parseEther('10'));
  });

  test('when a reorg drops a refill and its nonce goes to another merchant, then the dropped one is never booked', async () => {
    const a = await stack.merchant();
    const b = await stack.merchant();
    const [toA, toB] = [Wallet.createRandom().address, Wallet.createRandom().address];
    await provider().waitForTransaction(await sendFaucetRefill(stack.pool, provider(), refill(a.id, toA)));

    await provider().send('anvil_reorg', [1, []]);
    await provider().waitForTransaction(await sendFaucetRefill(stack.pool, provider(), refill(b.id, toB)));
    await stack.mine(3);

    expect([await settle(toA), await settle(toB)]).toEqual([0, 0]);
    expect(await provider().getBalance(toA)).toBe(0n);
    expect(await provider().getBalance(toB)).toBe(parseEther('10'));
    expect(await booked(a.id)).toBe(0n);
    expect(await booked(b.id)).toBe(parseEther('10'));
    const outcome = await stack.pool.query('SELECT outcome FROM faucet_refills WHERE to_address = $1', [toA.toLowerCase()]);
    expect(outcome.rows).toEqual([{ outcome: 'dropped' }]);
  });
});
