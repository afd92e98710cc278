import { performance } from 'node:perf_hooks';
import { percentile } from './table';

export interface LoadResult {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Closed-loop load: `clients` callers each run `call` back to back until `total` calls are done. */
export async function closedLoop(total: number, clients: number, call: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        try {
          await call(i);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}
