import type { Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import type { ChainProviders } from '../chain/providers';

/** A dependency check: resolves when the dependency answers, rejects (or times out) otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

/** How long one check may take before the dependency counts as unreachable. */
const CHECK_TIMEOUT_MS = 3000;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

/** The checks behind /readyz: PostgreSQL, Temporal, and the RPC of each network the process uses. */
export function dependencyChecks(deps: {
  pool: Pool;
  /** A Temporal connection or client: anything with the workflow service. */
  temporal: Pick<Connection, 'workflowService'>;
  chains?: ChainProviders;
  networks?: string[];
}): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {
    postgres: () => deps.pool.query('SELECT 1'),
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
  };
  for (const network of deps.networks ?? []) {
    if (deps.chains) checks[`chain:${network}`] = () => deps.chains!.get(network).getBlockNumber();
  }
  return checks;
}

/** Runs every check at once; an error's first line is reported, never a stack or a URL with credentials. */
export async function checkReadiness(checks: Record<string, ReadinessCheck>): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, `unreachable: ${firstLine(err)}`] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const result = Object.fromEntries(entries);
  return { ready: Object.values(result).every((v) => v === 'ok'), checks: result };
}

/** RPC URLs often carry a provider's API key, so they are cut from what /readyz shows. */
function firstLine(err: unknown): string {
  const message = String((err as Error)?.message ?? err).split('\n')[0]!;
  return message.replace(/[a-z]+:\/\/\S+/gi, '<url>').slice(0, 200);
}
