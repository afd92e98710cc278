import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';
import { formatEther } from 'ethers';
import type { ChainProviders } from '../chain/providers';

/** One registry per process, labelled with the process's role, with Node's own metrics included. */
export function createMetricsRegistry(role: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: role });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency of every API request by route pattern (never the raw path: ids would explode the series). */
export function httpRequestDuration(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  return new Histogram({
    name: 'settle_http_request_duration_seconds',
    help: 'API request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
}

/**
 * Payment gauges read at scrape time from PostgreSQL (and the chain), so every worker of a cluster
 * reports the same truth and nothing is lost when a worker restarts. Hot-wallet balances are floats
 * in native coin units: monitoring only, never used for money.
 */
export function registerPaymentGauges(
  registry: Registry,
  deps: { pool: Pool; chains: ChainProviders; networks: string[] },
): void {
  const { pool, chains, networks } = deps;
  new Gauge({
    name: 'settle_deposits',
    help: 'Deposits by network and status',
    labelNames: ['network', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await pool.query<{ network: string; status: string; n: number }>(
        'SELECT network, status, count(*)::int AS n FROM deposits GROUP BY network, status',
      );
      for (const r of rows.rows) this.set({ network: r.network, status: r.status }, r.n);
    },
  });
  new Gauge({
    name: 'settle_withdrawals_in_flight',
    help: 'Withdrawals accepted and not yet completed or failed, by network',
    labelNames: ['network'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await pool.query<{ network: string; n: number }>(
        `SELECT network, count(*)::int AS n FROM withdrawals WHERE status NOT IN ('completed', 'failed', 'rejected') GROUP BY network`,
      );
      for (const r of rows.rows) this.set({ network: r.network }, r.n);
    },
  });
  new Gauge({
    name: 'settle_withdrawals_stuck',
    help: 'Withdrawals in flight that reported a transaction more fee would not help (withdrawal.stuck), by network and reason',
    labelNames: ['network', 'reason'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await pool.query<{ network: string; reason: string; n: number }>(
        `SELECT w.network, e.body::jsonb -> 'data' ->> 'stuck_reason' AS reason, count(DISTINCT w.id)::int AS n
         FROM withdrawals w JOIN events e ON e.object_id = w.id AND e.type = 'withdrawal.stuck'
         WHERE w.status NOT IN ('completed', 'failed', 'rejected') GROUP BY 1, 2`,
      );
      for (const r of rows.rows) this.set({ network: r.network, reason: r.reason }, r.n);
    },
  });
  new Gauge({
    name: 'settle_webhook_attempts',
    help: 'Webhook delivery attempts so far, by outcome (a counter kept in PostgreSQL)',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const rows = await pool.query<{ succeeded: boolean; n: number }>(
        'SELECT succeeded, count(*)::int AS n FROM webhook_attempts GROUP BY succeeded',
      );
      this.set({ outcome: 'succeeded' }, rows.rows.find((r) => r.succeeded)?.n ?? 0);
      this.set({ outcome: 'failed' }, rows.rows.find((r) => !r.succeeded)?.n ?? 0);
    },
  });
  new Gauge({
    name: 'settle_watcher_lag_blocks',
    help: 'Blocks between the chain head and the chain watcher cursor, per watched network',
    labelNames: ['network'],
    registers: [registry],
    async collect() {
      this.reset();
      const cursors = await pool.query<{ network: string; next_block: string }>(
        'SELECT network, next_block FROM chain_cursors WHERE network = ANY($1)',
        [networks],
      );
      await Promise.all(
        cursors.rows.map(async (c) => {
          const head = await chains.get(c.network).getBlockNumber();
          this.set({ network: c.network }, Math.max(0, head - (Number(c.next_block) - 1)));
        }),
      );
    },
  });
  new Gauge({
    name: 'settle_reconciliation_mismatches',
    help: 'Merchants whose on-chain balance differed from the ledger at the last reconciliation, by network and currency',
    labelNames: ['network', 'currency'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await pool.query<{ network: string; currency: string; n: number }>(
        `SELECT network, currency, count(*) FILTER (WHERE mismatch)::int AS n FROM reconciliation_balances
         WHERE network = ANY($1) GROUP BY network, currency`,
        [networks],
      );
      for (const r of rows.rows) this.set({ network: r.network, currency: r.currency }, r.n);
    },
  });
  new Gauge({
    name: 'settle_hot_wallet_native_balance',
    help: 'Native coin balance (for gas) of each hot address, in coin units',
    labelNames: ['network', 'address', 'livemode'],
    registers: [registry],
    async collect() {
      this.reset();
      const hot = await pool.query<{ network: string; address: string; livemode: boolean }>(
        `SELECT network, address, livemode FROM addresses WHERE owner_type = 'hot' AND network = ANY($1)`,
        [networks],
      );
      await Promise.all(
        hot.rows.map(async (h) => {
          const balance = await chains.get(h.network).getBalance(h.address);
          this.set({ network: h.network, address: h.address, livemode: String(h.livemode) }, Number(formatEther(balance)));
        }),
      );
    },
  });
}
