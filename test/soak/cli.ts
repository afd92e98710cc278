import { parseArgs } from 'node:util';
import { DEFAULT_RPC_FAULTS, DEFAULT_SOAK_OPTIONS, runSoak, type RpcFaults } from './run-soak';

/**
 * `npm run soak -- --seed N --minutes M [--merchants K] [--faults on|off] [--lag P] ...`
 * Prints one summary line; exits 1 when the oracle found any violation.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      minutes: { type: 'string', default: '5' },
      merchants: { type: 'string', default: String(DEFAULT_SOAK_OPTIONS.merchants) },
      faults: { type: 'string', default: 'on' },
      confirmations: { type: 'string', default: String(DEFAULT_SOAK_OPTIONS.confirmations) },
      'kill-every': { type: 'string', default: DEFAULT_SOAK_OPTIONS.killEverySeconds.join('-') },
      'reorg-every': { type: 'string', default: DEFAULT_SOAK_OPTIONS.reorgEverySeconds.join('-') },
      lag: { type: 'string', default: String(DEFAULT_RPC_FAULTS.lagProbability) },
      'max-lag': { type: 'string', default: String(DEFAULT_RPC_FAULTS.maxLag) },
      'logs-lag': { type: 'string', default: String(DEFAULT_RPC_FAULTS.logsLagProbability) },
      'error-rate': { type: 'string', default: String(DEFAULT_RPC_FAULTS.errorRate) },
      'timeout-rate': { type: 'string', default: String(DEFAULT_RPC_FAULTS.timeoutRate) },
      'drop-rate': { type: 'string', default: String(DEFAULT_RPC_FAULTS.dropRate) },
      'max-logs-range': { type: 'string', default: String(DEFAULT_RPC_FAULTS.maxLogsRange) },
    },
  });
  const range = (s: string): [number, number] => {
    const [a, b] = s.split('-').map(Number);
    return [a!, b ?? a!];
  };
  const rpcFaults: RpcFaults = {
    lagProbability: Number(values.lag),
    maxLag: Number(values['max-lag']),
    logsLagProbability: Number(values['logs-lag']),
    errorRate: Number(values['error-rate']),
    timeoutRate: Number(values['timeout-rate']),
    dropRate: Number(values['drop-rate']),
    maxLogsRange: Number(values['max-logs-range']),
    timeoutMs: DEFAULT_RPC_FAULTS.timeoutMs,
  };
  const result = await runSoak({
    ...DEFAULT_SOAK_OPTIONS,
    seed: Number(values.seed),
    minutes: Number(values.minutes),
    merchants: Number(values.merchants),
    faults: values.faults !== 'off',
    confirmations: Number(values.confirmations),
    killEverySeconds: range(values['kill-every']),
    reorgEverySeconds: range(values['reorg-every']),
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
