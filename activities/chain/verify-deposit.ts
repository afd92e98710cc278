import type { DepositInput, VerifyResult } from '../../domain/payments';
import { topicToAddress, TRANSFER_TOPIC } from './erc20';
import type { ChainProviders } from './providers';

/**
 * Asks the chain whether a deposit's transfer is still in the canonical chain and how deep.
 * Canonical means: the receipt exists, its block is the block the node now has at that height,
 * and the same transfer (recipient, amount, token) sits at the same log index.
 */
export function createVerifyDeposit(chains: ChainProviders) {
  return async function verifyDeposit(d: DepositInput): Promise<VerifyResult> {
    const provider = chains.get(d.network);
    const [receipt, head] = await Promise.all([provider.getTransactionReceipt(d.txHash), provider.getBlockNumber()]);
    const gone: VerifyResult = { canonical: false, confirmations: 0, blockNumber: d.blockNumber, blockHash: d.blockHash };
    if (!receipt || receipt.status !== 1) return gone;
    const block = await provider.getBlock(receipt.blockNumber);
    if (!block || block.hash !== receipt.blockHash) return gone;

    if (d.contract) {
      const log = receipt.logs.find((l) => l.index === d.logIndex);
      const same =
        log &&
        log.address.toLowerCase() === d.contract &&
        log.topics[0] === TRANSFER_TOPIC &&
        topicToAddress(log.topics[2] ?? '') === d.to.toLowerCase() &&
        BigInt(log.data) === BigInt(d.amount);
      if (!same) return gone;
    }
    return {
      canonical: true,
      confirmations: Math.max(0, head - receipt.blockNumber + 1),
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
    };
  };
}
