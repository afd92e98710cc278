import { DEFAULT_RPC_FAULTS, DEFAULT_SOAK_OPTIONS, runSoak } from './soak/run-soak';

/**
 * A short soak in CI: the hostile RPC in front of Anvil, real reorgs below the confirmation depth,
 * and SIGKILLs, then the oracle reads the chain and holds Settle's ledger, deposits, invoices and
 * webhooks against it. The fault mix is the one main passes today; `npm run soak` runs every fault.
 */
describe('soak', () => {
  test('when Settle runs under RPC errors, reorgs and API crashes, then the chain oracle finds nothing lost, doubled or inconsistent', async () => {
    const result = await runSoak({
      ...DEFAULT_SOAK_OPTIONS,
      seed: 20261124,
      minutes: 1,
      merchants: 3,
      rpcFaults: { ...DEFAULT_RPC_FAULTS, lagProbability: 0, logsLagProbability: 0, maxLogsRange: 0 },
      killTargets: ['api'],
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
