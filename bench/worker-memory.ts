import { readFileSync } from 'node:fs';
import type { BenchStack } from './dev-stack';
import { processKind } from './idle-cpu';

/** How often the worker's resident memory is read while measured work runs. */
const SAMPLE_MS = 200;

/**
 * Resident memory of the stack's workers (payments and webhooks, each a tsx launcher and the node process it runs),
 * in bytes. Issue 14's neighbour grew the worker from 1.7 to 3.9 GB and it stayed there; the
 * workflow caches and the delivery queue's concurrency are meant to bound it.
 */
export function workerRss(stack: BenchStack): number {
  return stack
    .pids()
    .filter((pid) => processKind(pid).endsWith('worker'))
    .reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** The highest worker memory read while `work` runs, beside the work's own result. */
export async function peakWorkerRssDuring<T>(stack: BenchStack, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = workerRss(stack);
  const timer = setInterval(() => (peak = Math.max(peak, workerRss(stack))), SAMPLE_MS);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, workerRss(stack)) };
  } finally {
    clearInterval(timer);
  }
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function rssBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile
  }
}
