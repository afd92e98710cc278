import { Context } from '@temporalio/activity';
import { Contract, type JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { Pool } from 'pg';
import type { SimulateDepositInput, SimulatedTransfer } from '../../domain/simulate';
import { LOCAL_FAUCET_KEY } from '../../domain/local-faucet';
import { erc20Interface } from './erc20';
import type { ChainProviders } from './providers';

/** How long the reorg scenario waits for the watcher to record the transfer before giving up. */
const DETECTION_DEADLINE_MS = 120_000;

/**
 * Test mode's simulated payer: mints the test token to the local faucet and transfers it to a
 * Settle address, then drives the chain (mining, reorgs) like the real network would. The faucet
 * key is public knowledge, so every entry point refuses a network that carries real money.
 */
export function createSimulateTransfer(pool: Pool, chains: ChainProviders) {
  const faucetOn = (networkId: string): { provider: JsonRpcProvider; faucet: Wallet } => {
    const network = chains.network(networkId);
    if (network.livemode !== false) throw new Error(`refusing to simulate on ${networkId}: it is a live network`);
    const provider = chains.get(networkId);
    return { provider, faucet: new Wallet(LOCAL_FAUCET_KEY, provider) };
  };

  async function simulateTransfer(input: SimulateDepositInput): Promise<SimulatedTransfer> {
    const { provider, faucet } = faucetOn(input.network);
    const token = new Contract(input.contract, erc20Interface, faucet);
    // A retry may mint again; surplus test tokens on the faucet are harmless.
    await (await token.getFunction('mint')(faucet.address, BigInt(input.amount))).wait();

    // The signed transfer is kept in the heartbeat, so a retry rebroadcasts the same transaction
    // (same hash) instead of paying the address twice.
    const previous = Context.current().info.heartbeatDetails as string | undefined;
    if (previous) {
      const hash = Transaction.from(previous).hash!;
      const mined = await provider.getTransactionReceipt(hash);
      if (mined) return { transactionHash: hash, blockNumber: mined.blockNumber };
      const sent = await provider.broadcastTransaction(previous).catch(() => undefined);
      if (sent) return confirmed(provider, hash);
      // Its nonce was taken by another faucet transaction, so it can never be mined: sign anew.
    }
    const request = await faucet.populateTransaction({
      to: input.contract,
      data: erc20Interface.encodeFunctionData('transfer', [input.to, BigInt(input.amount)]),
    });
    const signed = await faucet.signTransaction(request);
    Context.current().heartbeat(signed);
    await provider.broadcastTransaction(signed);
    return confirmed(provider, Transaction.from(signed).hash!);
  }

  async function confirmed(provider: JsonRpcProvider, hash: string): Promise<SimulatedTransfer> {
    const receipt = await provider.waitForTransaction(hash, 1, 60_000);
    if (!receipt || receipt.status !== 1) throw new Error(`simulated transfer ${hash} was not mined`);
    return { transactionHash: hash, blockNumber: receipt.blockNumber };
  }

  /** Mines `blocks` blocks; a node that refuses both mining methods is left to its own block time. */
  async function mineBlocks(input: { network: string; blocks: number }): Promise<void> {
    const { provider } = faucetOn(input.network);
    try {
      await provider.send('anvil_mine', [`0x${input.blocks.toString(16)}`]);
      return;
    } catch {
      // not Anvil: try the Hardhat/Ganache method
    }
    try {
      for (let i = 0; i < input.blocks; i++) await provider.send('evm_mine', []);
    } catch {
      // the node mines on its own schedule; confirmations arrive with its block time
    }
  }

  /** Waits until the chain watcher has recorded a deposit for the transaction. */
  async function awaitDepositDetected(input: { network: string; transactionHash: string }): Promise<void> {
    const deadline = Date.now() + DETECTION_DEADLINE_MS;
    for (;;) {
      const row = await pool.query('SELECT 1 FROM deposits WHERE network = $1 AND tx_hash = $2 LIMIT 1', [
        input.network,
        input.transactionHash.toLowerCase(),
      ]);
      if (row.rowCount) return;
      if (Date.now() > deadline)
        throw new Error(`no deposit detected for ${input.transactionHash}; is the chain watcher running?`);
      Context.current().heartbeat();
      await Context.current().sleep(200);
    }
  }

  /** Replaces the transfer's block (and every later one) with empty blocks, then extends the new chain. */
  async function reorgTransfer(input: { network: string; transactionHash: string; blockNumber: number }): Promise<void> {
    const { provider } = faucetOn(input.network);
    const receipt = await provider.getTransactionReceipt(input.transactionHash);
    if (!receipt) return; // already gone: a retry after the reorg succeeded
    const head = await provider.getBlockNumber();
    await provider.send('anvil_reorg', [head - receipt.blockNumber + 1, []]);
    await mineBlocks({ network: input.network, blocks: chains.network(input.network).confirmations });
  }

  return { simulateTransfer, mineBlocks, awaitDepositDetected, reorgTransfer };
}
