import { z } from 'zod';

/** Smallest amount worth a withdrawal: below it the gas would cost more than the transfer moves. */
const MinWithdrawal = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .optional();

export const TokenConfig = z.object({
  symbol: z.string().min(1),
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  decimals: z.number().int().min(0).max(36),
  minWithdrawal: MinWithdrawal,
});
export type TokenConfig = z.infer<typeof TokenConfig>;

export const NetworkConfig = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string(),
  /** Live networks carry real money; test-mode keys are mapped to `testNetwork` instead. */
  livemode: z.boolean(),
  testNetwork: z.string().optional(),
  chainId: z.number().int().positive(),
  rpcUrls: z.array(z.string().url()).min(1),
  confirmations: z.number().int().min(1),
  blockTimeMs: z.number().int().positive(),
  /**
   * How often the chain watcher asks for the head while waiting for the next block (ms). Default: a
   * tenth of the block time, within [100 ms, 2 s]; raise it for rate-limited RPC plans.
   */
  headPollMs: z.number().int().positive().optional(),
  /** Largest eth_getLogs block span to ask for; ranges are halved further when a node refuses. */
  maxLogRange: z.number().int().positive().default(2000),
  /**
   * Highest max fee per gas (wei) Settle signs on this network, first attempts and replacements
   * alike: the gas policy's ceiling, so a stuck transaction is never repriced without bound.
   */
  maxFeePerGas: z.string().regex(/^\d+$/).optional(),
  /**
   * Most native base units (wei) one withdrawal's gas may cost, all its transactions together: its
   * sweeps, their gas top-ups and its transfer, each counted at what it cost once confirmed, until
   * then at gas limit × max fee per gas. A withdrawal whose worst case does not fit fails before
   * anything is signed (`gas_policy_exceeded`); later signatures and fee bumps stay within it (a
   * transaction it would price below what blocks ask waits unsigned, a bump over it is not signed
   * and is reported as `withdrawal.stuck` `gas_policy`). Unset: no cap.
   */
  maxGasSpendPerWithdrawal: z.string().regex(/^\d+$/).optional(),
  /**
   * How long a transaction may stay unmined before Settle looks at it: re-signed with higher fees
   * if underpriced, otherwise diagnosed and reported (`withdrawal.stuck`). Default: 20 blocks, at least a minute.
   */
  stuckAfterMs: z.number().int().positive().optional(),
  /**
   * `all` (the default) reads every block with its transactions, so native coin sent to any Settle
   * address is credited, even to a token invoice's address. `expected` reads transactions only while
   * a native payment is expected (a customer address, or an invoice priced in the native coin):
   * cheaper on busy chains, but a stray native payment is then left to reconciliation to report.
   */
  nativeScan: z.enum(['all', 'expected']).default('all'),
  native: z.object({ symbol: z.string(), decimals: z.number().int(), minWithdrawal: MinWithdrawal }),
  tokens: z.array(TokenConfig),
});
export type NetworkConfig = z.infer<typeof NetworkConfig>;

export const NetworkRegistryConfig = z.object({
  defaultNetwork: z.object({ live: z.string(), test: z.string() }),
  networks: z.array(NetworkConfig).min(1),
});
export type NetworkRegistryConfig = z.infer<typeof NetworkRegistryConfig>;

export interface Currency {
  network: NetworkConfig;
  symbol: string;
  decimals: number;
  /** Token contract, or null for the network's native coin. */
  contract: string | null;
  /** Decimal string; smaller withdrawals are refused. */
  minWithdrawal?: string;
}

/** Read-only view over the configured networks; shared by API (validation) and activities (chain I/O). */
export class NetworkRegistry {
  private readonly byId: Map<string, NetworkConfig>;

  constructor(readonly config: NetworkRegistryConfig) {
    this.byId = new Map(config.networks.map((n) => [n.id, n]));
  }

  get(id: string): NetworkConfig | undefined {
    return this.byId.get(id);
  }

  all(): NetworkConfig[] {
    return [...this.byId.values()];
  }

  /** The networks a key of this mode can use; a test key names live networks but lands on their test twin. */
  forMode(livemode: boolean): NetworkConfig[] {
    return this.all().filter((n) => n.livemode === livemode);
  }

  /** Resolves the network a request asked for (or the default) for a key's mode. */
  resolve(requested: string | undefined, livemode: boolean): NetworkConfig | undefined {
    const id = requested ?? (livemode ? this.config.defaultNetwork.live : this.config.defaultNetwork.test);
    const network = this.byId.get(id);
    if (!network) return undefined;
    if (network.livemode === livemode) return network;
    return !livemode && network.testNetwork ? this.byId.get(network.testNetwork) : undefined;
  }

  currency(network: NetworkConfig, symbol: string): Currency | undefined {
    const upper = symbol.toUpperCase();
    if (network.native.symbol.toUpperCase() === upper) {
      const { symbol, decimals, minWithdrawal } = network.native;
      return { network, symbol, decimals, contract: null, minWithdrawal };
    }
    const token = network.tokens.find((t) => t.symbol.toUpperCase() === upper);
    return (
      token && {
        network,
        symbol: token.symbol,
        decimals: token.decimals,
        contract: token.address.toLowerCase(),
        minWithdrawal: token.minWithdrawal,
      }
    );
  }

  tokenByContract(network: NetworkConfig, contract: string): Currency | undefined {
    const token = network.tokens.find((t) => t.address.toLowerCase() === contract.toLowerCase());
    return token && { network, symbol: token.symbol, decimals: token.decimals, contract: token.address.toLowerCase() };
  }
}
