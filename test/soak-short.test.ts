import type { HostileRpcStats } from './harness/hostile-rpc';
import { DEFAULT_RPC_FAULTS, DEFAULT_SOAK_OPTIONS, runSoak } from './soak/run-soak';

/**
 * A short hostile soak in every CI run: Settle as separate processes behind the hostile RPC with
 * every fault on (lagging backends, a lagging log index, 429/5xx/-32005, timeouts, dropped
 * connections, a getLogs range cap), real reorgs below the confirmation depth, and SIGKILLs of
 * the worker, the API and the Temporal server. Then the oracle reads the chain and holds Settle's
 * deposits, ledger, invoices, withdrawals and webhooks against it. `npm run soak` runs longer ones.
 */
describe('short hostile soak', () => {
  test('when Settle runs for a minute under every RPC fault, reorgs and process kills, then the chain oracle finds nothing lost, doubled, stuck or inconsistent', async () => {
    const result = await runSoak({
      ...DEFAULT_SOAK_OPTIONS,
      seed: 20261124,
      minutes: 1,
      merchants: 3,
      rpcFaults: DEFAULT_RPC_FAULTS,
      killTargets: ['worker', 'api', 'temporal'],
      killEverySeconds: [10, 20],
      reorgEverySeconds: [6, 15],
      drainTimeoutSeconds: 180,
      databaseUrl: process.env.DATABASE_URL,
      workflowBundle: process.env.SETTLE_TEST_WORKFLOW_BUNDLE,
      log: () => undefined,
    });
    console.log(result.summary);
    expect(result.oracle.violations).toEqual([]);
    // The run exercised what it claims to: payments on chain, faults, reorgs and kills happened.
    expect(result.oracle.counts.transfers).toBeGreaterThan(10);
    expect(result.chaos.reorgs).toBeGreaterThan(0);
    expect(Object.values(result.chaos.kills).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const rpc = result.rpcStats as HostileRpcStats;
    expect(rpc.lagged + rpc.logsLagged).toBeGreaterThan(0);
    expect(rpc.http429 + rpc.http5xx + rpc.limitExceeded + rpc.timeouts + rpc.drops + rpc.rangeRefused).toBeGreaterThan(0);
  }, 600_000);
});
