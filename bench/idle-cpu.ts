import { readFileSync } from 'node:fs';
import type { BenchStack } from './dev-stack';
import type { BenchRow } from './table';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU of every process of the stack while nothing uses it, per process kind and in total. */
export async function benchIdleCpu(stack: BenchStack, seconds: number): Promise<BenchRow[]> {
  const { total, breakdown } = await cpuDuring(stack, () => new Promise((r) => setTimeout(r, seconds * 1000)), seconds);
  return [
    {
      figure: `idle CPU of the dev stack, ${seconds} s`,
      baseline: '—',
      settle: `${percent(total)} of a core`,
      ratio: '—',
      target: '≤ 10 % of one core',
      met: total <= 0.1,
      note: breakdown,
    },
  ];
}

const percent = (v: number) => `${(v * 100).toFixed(1)} %`;

/**
 * CPU the stack's processes use while `work` runs, in cores (1 = one core busy), in total and per
 * process kind: the profile that says which part bounds a figure.
 */
export async function cpuDuring(
  stack: BenchStack,
  work: () => Promise<unknown>,
  knownSeconds?: number,
): Promise<{ total: number; breakdown: string }> {
  const pids = stack.pids();
  const before = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
  const started = Date.now();
  await work();
  const seconds = knownSeconds ?? (Date.now() - started) / 1000;
  const byKind = new Map<string, number>();
  let total = 0;
  for (const pid of pids) {
    const start = before.get(pid);
    const end = cpuTicks(pid);
    if (start === undefined || end === undefined) continue;
    const share = (end - start) / TICKS_PER_SECOND / seconds;
    total += share;
    const kind = processKind(pid);
    byKind.set(kind, (byKind.get(kind) ?? 0) + share);
  }
  const breakdown = [...byKind.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${percent(v)}`)
    .join(', ');
  return { total, breakdown };
}

function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** What a stack process is (worker, webhook worker, api, temporal, …), from its command line and environment. */
export function processKind(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (cmd.includes('worker/main')) {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return env.includes('SETTLE_WORKER_QUEUES=webhooks') ? 'webhook worker' : 'worker';
    }
    if (cmd.includes('api/main')) return 'api';
    if (cmd.includes('dev-stack/start')) return 'supervisor';
    if (cmd.includes('temporal')) return 'temporal';
    if (cmd.includes('anvil')) return 'anvil';
    if (cmd.includes('postgres')) return 'postgres';
    return cmd.split(' ')[0]!.split('/').pop() ?? String(pid);
  } catch {
    return String(pid);
  }
}
