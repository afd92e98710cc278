import { JsonRpcProvider } from 'ethers';

/** Reads whose answer does not depend on when they are asked again: safe to send twice. */
const RETRIED_READS = new Set([
  'eth_blockNumber',
  'eth_chainId',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getLogs',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getTransactionCount',
  'eth_getBalance',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
]);
/** Waits before the second, third and fourth attempt. */
export const READ_RETRY_DELAYS_MS = [200, 500, 1_000];
/** A node refusing a request for its size: asking again cannot help, a smaller request can. */
const REFUSED_FOR_SIZE = /block range|range (is )?too|too (large|many|big)|more than \d+|response size|exceeds? (the )?max/i;

/**
 * A JSON-RPC provider that asks again when a read fails. Load-balanced public endpoints drop
 * connections, answer 429, 5xx or "limit exceeded" and time out in bursts; one such answer must not
 * fail a whole chain scan of dozens of requests (a scan that fails as a whole is retried as a
 * whole, and under steady faults a watcher that has fallen behind then never catches up). Writes
 * (`eth_sendRawTransaction`) are never sent again from here: their callers handle "already known".
 */
export class RetryingJsonRpcProvider extends JsonRpcProvider {
  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await super.send(method, params as unknown[]);
      } catch (err) {
        const delay = READ_RETRY_DELAYS_MS[attempt];
        if (delay === undefined || !RETRIED_READS.has(method) || REFUSED_FOR_SIZE.test(nodeMessage(err))) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** The node's own JSON-RPC error message (ethers' message also quotes the request, method name included). */
function nodeMessage(err: unknown): string {
  const e = err as { error?: { message?: unknown }; info?: { error?: { message?: unknown } } };
  const message = e?.error?.message ?? e?.info?.error?.message;
  return typeof message === 'string' ? message : '';
}
