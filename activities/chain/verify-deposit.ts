import type { JsonRpcProvider, TransactionReceipt } from 'ethers';
import type { DepositInput, VerifyResult } from '../../domain/payments';
import { topicToAddress, TRANSFER_TOPIC } from './erc20';
import type { ChainProviders } from './providers';

/**
 * Asks the chain whether a deposit's transfer is still in the canonical chain and how deep.
 *
 * Behind a load balancer one answer may come from a backend a block or two behind, so a missing
 * receipt or block proves nothing. A transfer is `gone` only when the chain proves it: the node's
 * head is at least the required confirmations past the height in question AND the block there is
 * another one (a different hash, or a receipt that no longer carries the transfer). Anything else
 * is `unknown` and the deposit keeps waiting.
 */
export function createVerifyDeposit(chains: ChainProviders) {
  return async function verifyDeposit(d: DepositInput): Promise<VerifyResult> {
    const provider = chains.get(d.network);
    const [receipt, head] = await Promise.all([provider.getTransactionReceipt(d.txHash), provider.getBlockNumber()]);
    const at = (blockNumber: number, blockHash: string) => ({ blockNumber, blockHash });
    const unknown: VerifyResult = { canonical: true, state: 'unknown', confirmations: 0, ...at(d.blockNumber, d.blockHash) };
    const gone: VerifyResult = { canonical: false, state: 'gone', confirmations: 0, ...at(d.blockNumber, d.blockHash) };
    const buried = (height: number) => head - height >= d.requiredConfirmations;

    if (!receipt) {
      // Gone only if the node has passed the transfer's height by enough blocks, holds another
      // block there, and no longer knows the transaction at all (a known one may be mined again).
      if (!buried(d.blockNumber)) return unknown;
      const [replaced, tx] = await Promise.all([
        blockReplaced(provider, d.blockNumber, d.blockHash),
        provider.getTransaction(d.txHash),
      ]);
      return replaced && !tx ? gone : unknown;
    }
    const block = await provider.getBlock(receipt.blockNumber);
    if (!block || block.hash !== receipt.blockHash) {
      // The receipt's block is not (or not yet) this backend's block at that height.
      return unknown;
    }
    if (receipt.status !== 1 || !carriesTransfer(receipt, d)) {
      // A canonical receipt without this transfer (reverted, or re-mined at another log index, which
      // the watcher records as another deposit): final once buried deep enough.
      return buried(receipt.blockNumber) ? gone : unknown;
    }
    return {
      canonical: true,
      state: 'canonical',
      confirmations: Math.max(0, head - receipt.blockNumber + 1),
      ...at(receipt.blockNumber, receipt.blockHash),
    };
  };
}

function carriesTransfer(receipt: TransactionReceipt, d: DepositInput): boolean {
  if (!d.contract) return true; // a native transfer is the transaction itself
  const log = receipt.logs.find((l) => l.index === d.logIndex);
  return (
    !!log &&
    log.address.toLowerCase() === d.contract &&
    log.topics[0] === TRANSFER_TOPIC &&
    topicToAddress(log.topics[2] ?? '') === d.to.toLowerCase() &&
    BigInt(log.data) === BigInt(d.amount)
  );
}

/** Whether the node holds a block at `height` other than `hash` (null: it has none there yet, so no proof). */
async function blockReplaced(provider: JsonRpcProvider, height: number, hash: string): Promise<boolean> {
  const block = await provider.getBlock(height);
  return !!block && block.hash !== hash;
}
