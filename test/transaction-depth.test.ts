import { Wallet } from 'ethers';
import { ChainProviders } from '../activities/chain/providers';
import { createTransactionActivities } from '../activities/signing/transactions';
import { HdWallet } from '../activities/wallet/hd-wallet';
import { TestStack } from './harness/test-stack';

/**
 * How deep a sent transaction is, asked through an RPC whose answers may arrive late. Gas is booked
 * and a sweep or transfer settled once its transaction is reported deep enough, so a depth the
 * chain never had books gas for a transaction a reorg then removed (CI's short soak, once).
 */
describe('a sent transaction’s depth behind a slow RPC', () => {
  let stack: TestStack;
  let chains: ChainProviders;
  beforeAll(async () => {
    stack = await TestStack.start({ confirmations: 4, hostileRpc: { seed: 3 } });
    chains = new ChainProviders(stack.registry);
  });
  afterAll(async () => {
    chains?.destroy();
    await stack?.stop();
  });

  test('when a reorg removes the transaction while a head read hangs and the chain moves on, then it is not reported mined at its old block', async () => {
    const m = await stack.merchant();
    const tx = createTransactionActivities(stack.pool, chains, new HdWallet(stack.seed));
    const purpose = `test:${m.id}:depth`;
    const signer = { merchantId: m.id, livemode: false, index: 0 };
    const signed = await tx.signTransaction({ purpose, network: 'local', signer, to: Wallet.createRandom().address, value: '1' });
    await stack.chain.provider.send('anvil_setBalance', [signed.from, '0xde0b6b3a7640000']);
    await tx.broadcastTransaction(purpose); // Anvil mines it at once
    const minedAt = await tx.checkTransaction(purpose);
    expect(minedAt).toMatchObject({ mined: true, hash: signed.hash, confirmations: 1 });

    // Nothing mines from here on but the test: the re-broadcast of a dropped transaction stays pending.
    await stack.chain.provider.send('evm_setAutomine', [false]);
    try {
      const held = stack.rpc!.hold('eth_blockNumber');
      const checking = tx.checkTransaction(purpose);
      await held.reached;
      await stack.chain.provider.send('anvil_reorg', [1, []]);
      await stack.chain.provider.send('anvil_dropTransaction', [signed.hash]);
      await stack.mine(5);
      held.release();
      const status = await checking;

      expect(await stack.chain.provider.getTransactionReceipt(signed.hash)).toBeNull();
      expect(status).toEqual({ mined: false, attempts: 1 });
    } finally {
      await stack.chain.provider.send('evm_setAutomine', [true]);
    }
  });
});
