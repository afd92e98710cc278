import type { Pool } from 'pg';
import { Account } from '../../activities/db/ledger';
import { fromBaseUnits } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';

const FIELDS = ['available', 'pending', 'reserved', 'total_received', 'total_fees', 'total_withdrawn'] as const;
type Field = (typeof FIELDS)[number];
type Amounts = Record<Field, bigint>;

/** The currency whose totals head the summary; every other currency is in `by_currency`. */
const HEADLINE_CURRENCY = 'USDT';

interface Row extends Amounts {
  network: string;
  currency: string;
  decimals: number;
}

/**
 * A merchant's balance in one mode, derived only from the ledger (plus deposits still confirming
 * from the deposits projection, as `pending`):
 * available = merchant:available, reserved = merchant:reserved (withdrawals in flight),
 * total_received = what arrived from the chain (gross, before fees), total_fees = Settle's fees,
 * total_withdrawn = what completed withdrawals sent. So total_received = available + reserved +
 * total_fees + total_withdrawn for every network and currency.
 */
export async function balanceSummary(pool: Pool, registry: NetworkRegistry, merchantId: string, livemode: boolean) {
  const ledger = await pool.query<{ network: string; currency: string; account: string; sum: string }>(
    `SELECT network, currency, account, sum(amount)::text AS sum FROM ledger_entries
     WHERE merchant_id = $1 AND livemode = $2 AND account = ANY($3) GROUP BY network, currency, account`,
    [merchantId, livemode, [Account.available, Account.reserved, Account.chainInflow, Account.fees, Account.chainOutflow]],
  );
  const pending = await pool.query<{ network: string; currency: string; sum: string }>(
    `SELECT network, currency, sum(amount)::text AS sum FROM deposits
     WHERE merchant_id = $1 AND livemode = $2 AND status IN ('detected', 'confirming') GROUP BY network, currency`,
    [merchantId, livemode],
  );

  const rows = new Map<string, Row>();
  const rowOf = (network: string, currency: string): Row => {
    const key = `${network}\u0000${currency}`;
    let row = rows.get(key);
    if (!row) {
      const config = registry.get(network);
      // A network removed from the config keeps its money visible; its tokens were 18-decimal by default.
      const decimals = (config && registry.currency(config, currency)?.decimals) ?? 18;
      row = {
        network,
        currency,
        decimals,
        available: 0n,
        pending: 0n,
        reserved: 0n,
        total_received: 0n,
        total_fees: 0n,
        total_withdrawn: 0n,
      };
      rows.set(key, row);
    }
    return row;
  };
  const field: Record<string, [Field, bigint]> = {
    [Account.available]: ['available', 1n],
    [Account.reserved]: ['reserved', 1n],
    [Account.chainInflow]: ['total_received', -1n],
    [Account.fees]: ['total_fees', 1n],
    [Account.chainOutflow]: ['total_withdrawn', 1n],
  };
  for (const r of ledger.rows) {
    const [name, sign] = field[r.account]!;
    rowOf(r.network, r.currency)[name] += sign * BigInt(r.sum);
  }
  for (const r of pending.rows) rowOf(r.network, r.currency).pending += BigInt(r.sum);

  const sorted = [...rows.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.network.localeCompare(b.network));
  const symbols = [...new Set([HEADLINE_CURRENCY, ...sorted.map((r) => r.currency)])];
  const byCurrency = symbols.map((currency) => ({ currency, ...sumDecimal(sorted.filter((r) => r.currency === currency)) }));
  const headline = byCurrency[0]!;
  return {
    object: 'balance' as const,
    livemode,
    ...headline,
    by_currency: byCurrency.filter((c, i) => i === 0 || sorted.some((r) => r.currency === c.currency)),
    breakdown: sorted.map((r) => ({
      network: r.network,
      currency: r.currency,
      ...Object.fromEntries(FIELDS.map((f) => [f, fromBaseUnits(r[f], r.decimals)])),
    })),
  };
}

/** Adds rows of one currency that may differ in decimals (USDT is 18 on BSC, 6 on Ethereum) without rounding. */
function sumDecimal(rows: Row[]): Record<Field, string> {
  const decimals = Math.max(2, ...rows.map((r) => r.decimals));
  return Object.fromEntries(
    FIELDS.map((f) => [
      f,
      fromBaseUnits(
        rows.reduce((acc, r) => acc + r[f] * 10n ** BigInt(decimals - r.decimals), 0n),
        decimals,
      ),
    ]),
  ) as Record<Field, string>;
}
