import { DEFAULT_SOAK_OPTIONS, runSoak } from './soak/run-soak';

/**
 * A short soak on every fault at once: the hostile RPC in front of Anvil, real reorgs below the
 * confirmation depth, and SIGKILLs of the worker, the API and the Temporal server. The oracle then
 * reads the chain and holds Settle's ledger, deposits, invoices and webhooks against it.
 */
describe('soak', () => {
  test('when Settle runs under a hostile RPC, reorgs and crashes, then the chain oracle finds nothing lost, doubled or inconsistent', async () => {
    const result = await runSoak({
      ...DEFAULT_SOAK_OPTIONS,
      seed: 20261124,
      minutes: 1,
      merchants: 3,
      killEverySeconds: [10, 20],
      reorgEverySeconds: [6, 15],
      drainTimeoutSeconds: 60,
      databaseUrl: process.env.DATABASE_URL,
      workflowBundle: process.env.SETTLE_TEST_WORKFLOW_BUNDLE,
      log: () => undefined,
    });
    console.log(result.summary);
    expect(result.oracle.violations).toEqual([]);
    // The run exercised what it claims to: payments on chain, reorgs and kills happened.
    expect(result.oracle.counts.transfers).toBeGreaterThan(5);
    expect(result.chaos.reorgs).toBeGreaterThan(0);
    expect(Object.values(result.chaos.kills).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 600_000);
});
