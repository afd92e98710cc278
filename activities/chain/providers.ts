import { type JsonRpcProvider, Network } from 'ethers';
import { RetryingJsonRpcProvider } from './retrying-provider';
import type { NetworkConfig, NetworkRegistry } from '../../domain/networks';

/** One JSON-RPC provider per network, created on first use. */
export class ChainProviders {
  private readonly providers = new Map<string, JsonRpcProvider>();

  constructor(readonly registry: NetworkRegistry) {}

  network(id: string): NetworkConfig {
    const network = this.registry.get(id);
    if (!network) throw new Error(`unknown network ${id}`);
    return network;
  }

  get(id: string): JsonRpcProvider {
    let provider = this.providers.get(id);
    if (!provider) {
      const network = this.network(id);
      // staticNetwork: trust the configured chain id instead of asking the node before every call.
      // cacheTimeout -1: never answer a head or receipt query from a cache; stale reads confuse reorg checks.
      // Reads that fail on a flaky endpoint are asked again (retrying-provider.ts).
      // batchStallTime 0: calls made together (a scan's block reads) still go as one batch, but no
      // call waits ethers' default 10 ms for company; the watcher's head poll and scan make several
      // calls one after another, and each waited before every payment's detection.
      provider = new RetryingJsonRpcProvider(network.rpcUrls[0], Network.from(network.chainId), {
        staticNetwork: true,
        cacheTimeout: -1,
        batchStallTime: 0,
        pollingInterval: Math.min(network.blockTimeMs, 4000),
      });
      this.providers.set(id, provider);
    }
    return provider;
  }

  destroy(): void {
    for (const p of this.providers.values()) p.destroy();
    this.providers.clear();
  }
}
