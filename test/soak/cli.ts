import { parseArgs } from 'node:util';
import { DEFAULT_RPC_FAULTS, DEFAULT_SOAK_OPTIONS, runSoak, type RpcFaults } from './run-soak';

/**
 * `npm run soak -- --seed N --minutes M [--merchants K] [--faults on|off] [--drain-max-minutes D] [--lag P] ...`
 * Prints one summary line; exits 1 when the oracle found any violation.
 */
/** Command-line flags of the hostile RPC's fault rates. */
const FAULT_FLAGS = {
  lag: 'lagProbability',
  'max-lag': 'maxLag',
  'logs-lag': 'logsLagProbability',
  'error-rate': 'errorRate',
  'timeout-rate': 'timeoutRate',
  'drop-rate': 'dropRate',
  'max-logs-range': 'maxLogsRange',
} as const satisfies Record<string, keyof RpcFaults>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      minutes: { type: 'string', default: '5' },
      merchants: { type: 'string', default: String(DEFAULT_SOAK_OPTIONS.merchants) },
      faults: { type: 'string', default: 'on' },
      confirmations: { type: 'string', default: String(DEFAULT_SOAK_OPTIONS.confirmations) },
      kill: { type: 'string', default: 'worker,api,temporal,postgres' },
      'kill-every': { type: 'string', default: DEFAULT_SOAK_OPTIONS.killEverySeconds.join('-') },
      'reorg-every': { type: 'string', default: DEFAULT_SOAK_OPTIONS.reorgEverySeconds.join('-') },
      'drain-max-minutes': { type: 'string' },
      ...Object.fromEntries(
        Object.entries(FAULT_FLAGS).map(([flag, key]) => [
          flag,
          { type: 'string' as const, default: String(DEFAULT_RPC_FAULTS[key]) },
        ]),
      ),
    },
  });
  const range = (s: string): [number, number] => {
    const [a, b] = s.split('-').map(Number);
    return [a!, b ?? a!];
  };
  const rpcFaults: RpcFaults = {
    ...DEFAULT_RPC_FAULTS,
    ...Object.fromEntries(
      Object.entries(FAULT_FLAGS).map(([flag, key]) => [key, Number((values as Record<string, string>)[flag])]),
    ),
  };
  const result = await runSoak({
    ...DEFAULT_SOAK_OPTIONS,
    seed: Number(values.seed),
    minutes: Number(values.minutes),
    merchants: Number(values.merchants),
    faults: values.faults !== 'off',
    confirmations: Number(values.confirmations),
    killTargets: values.kill.split(',').filter(Boolean),
    killEverySeconds: range(values['kill-every']),
    reorgEverySeconds: range(values['reorg-every']),
    ...(values['drain-max-minutes'] ? { drainMaxMinutes: Number(values['drain-max-minutes']) } : {}),
    rpcFaults,
    databaseUrl: process.env.SOAK_DATABASE_URL,
    holdOnFailureSeconds: Number(process.env.SOAK_HOLD_ON_FAILURE_SECONDS ?? 0),
  });
  for (const v of result.oracle.violations.slice(0, 50)) console.error(`[oracle] ${v}`);
  if (result.oracle.violations.length > 50) console.error(`[oracle] … and ${result.oracle.violations.length - 50} more`);
  console.log(result.summary);
  process.exit(result.ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
