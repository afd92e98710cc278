import type { JsonRpcProvider } from 'ethers';

/** The parts of a block the watcher needs, read raw so the header's logs bloom comes along. */
export interface ScannedBlock {
  number: number;
  hash: string;
  parentHash: string;
  /** Seconds since the epoch, from the header: when the chain says the block was made. */
  timestamp: number;
  logsBloom: string;
  transactions: Array<{ hash: string; from: string; to: string | null; value: bigint }>;
}

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  logsBloom: string;
  /** Full transactions when asked for them, otherwise their hashes. */
  transactions: Array<{ hash: string; from: string; to: string | null; value: string } | string>;
}

/**
 * Blocks [from, to], stopping before the first block the node does not return: a backend behind
 * the reported head answers null for the newest blocks, and the scan covers only what it could
 * read. Transactions come along only when asked (`withTransactions`): a chain's blocks can carry
 * hundreds, and only native-coin transfers need them; without, `transactions` is empty.
 */
export async function fetchBlocks(
  provider: JsonRpcProvider,
  from: number,
  to: number,
  withTransactions = true,
): Promise<ScannedBlock[]> {
  const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const raw = await Promise.all(
    numbers.map(
      (n) => provider.send('eth_getBlockByNumber', [`0x${n.toString(16)}`, withTransactions]) as Promise<RawBlock | null>,
    ),
  );
  const blocks: ScannedBlock[] = [];
  for (const [i, b] of raw.entries()) {
    if (!b || Number(b.number) !== numbers[i]) break;
    blocks.push({
      number: Number(b.number),
      hash: b.hash,
      parentHash: b.parentHash,
      timestamp: Number(b.timestamp),
      logsBloom: b.logsBloom,
      transactions: b.transactions.flatMap((t) =>
        typeof t === 'string' ? [] : [{ hash: t.hash, from: t.from, to: t.to, value: BigInt(t.value) }],
      ),
    });
  }
  return blocks;
}
