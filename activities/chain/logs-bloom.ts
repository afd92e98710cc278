import { getBytes, keccak256 } from 'ethers';

/**
 * Ethereum's 2048-bit logs bloom (yellow paper §4.3.1): every log's address and topics set three
 * bits each. A block header's bloom is consensus data, tied to its hash, so it tells which blocks
 * may hold a log without trusting any log index.
 */
function bloomHas(bloom: Uint8Array, item: string): boolean {
  const hash = getBytes(keccak256(item));
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
    if ((bloom[256 - 1 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** Whether a block with this bloom may contain a log with `topic0` emitted by one of `addresses` (false positives possible, no false negatives). */
export function bloomMayContain(logsBloom: string, addresses: string[], topic0: string): boolean {
  const bloom = getBytes(logsBloom);
  if (bloom.length !== 256) return true; // a node without blooms: assume it may
  return bloomHas(bloom, topic0) && addresses.some((a) => bloomHas(bloom, a));
}
