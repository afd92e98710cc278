// Free of zod, like every module the workflows import at run time: see test/workflow-bundle.test.ts.
import type { BalanceCheck, ReconciledBalance } from './reconciliation';

export const differs = (check: BalanceCheck): boolean => BigInt(check.onChain) !== BigInt(check.expected);

/**
 * A difference counts only if the recheck sees it again for the same merchant and currency: what
 * moved between two reads (a sweep's gas, a transfer mined in between) settles by itself.
 */
export function lastingMismatches(first: BalanceCheck[], recheck: BalanceCheck[]): ReconciledBalance[] {
  const key = (c: BalanceCheck) => `${c.merchantId}:${c.currency}`;
  const before = new Set(first.filter(differs).map(key));
  return recheck.map((c) => ({ ...c, mismatch: differs(c) && before.has(key(c)) }));
}
