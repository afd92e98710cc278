import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { BenchStack } from './dev-stack';
import { createPathProfile, type TimedCreate } from './create-path';
import { cpuDuring } from './idle-cpu';
import { closedLoop, type LoadResult } from './load';
import { type BenchRow, ms, perSecond, times } from './table';

export interface InvoiceCreateOptions {
  /** Calls per single-client measurement. */
  sequential: number;
  /** Calls per concurrent measurement. */
  concurrentTotal: number;
  clients: number;
}

/**
 * Invoice creation against the engine it runs on: `POST /v1/invoices` as a merchant calls it,
 * beside a bare `workflow.start` (no worker, nothing else) on the same Temporal server.
 */
export async function benchInvoiceCreate(stack: BenchStack, options: InvoiceCreateOptions, label = ''): Promise<BenchRow[]> {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });
  const bareStart = async () => {
    await client.workflow.start('benchBareWorkflow', {
      workflowId: `bench-bare-${randomUUID()}`,
      taskQueue: 'bench-bare',
      workflowRunTimeout: '1 minute',
    });
  };
  const timed: TimedCreate[] = [];
  const createInvoice = async () => {
    const sentAt = Date.now();
    const res = await fetch(`${stack.apiUrl}/v1/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
      body: JSON.stringify({ amount: '50.00', external_id: `bench-${randomUUID()}` }),
    });
    const body = (await res.json()) as { data?: { id: string; deposit_address?: string } };
    if (res.status !== 201 || !body.data?.deposit_address) throw new Error(`create answered ${res.status}`);
    timed.push({ invoiceId: body.data.id, sentAt, answeredAt: Date.now() });
  };
  try {
    // Warm both paths (connections, worker's workflow code) so neither pays a first-call cost.
    await closedLoop(5, 1, bareStart);
    await closedLoop(5, 1, createInvoice);
    const bareOne = await closedLoop(options.sequential, 1, bareStart);
    timed.length = 0;
    const settleOne = await closedLoop(options.sequential, 1, createInvoice);
    const profile = await createPathProfile(client, timed.splice(0));
    let bareMany: LoadResult | undefined;
    let settleMany: LoadResult | undefined;
    const bareCpu = await cpuDuring(
      stack,
      async () => (bareMany = await closedLoop(options.concurrentTotal, options.clients, bareStart)),
    );
    const settleCpu = await cpuDuring(
      stack,
      async () => (settleMany = await closedLoop(options.concurrentTotal, options.clients, createInvoice)),
    );
    if (!bareMany || !settleMany) throw new Error('load did not run');
    const describe = (r: LoadResult) =>
      `${perSecond(r.perSecond)} (p50 ${ms(r.p50)}, p99 ${ms(r.p99)}${r.errors ? `, ${r.errors} errors` : ''})`;
    const throughputRatio = settleMany.perSecond / bareMany.perSecond;
    const latencyRatio = settleOne.p50 / bareOne.p50;
    return [
      {
        figure: `invoice create throughput, ${options.clients} clients${label}`,
        baseline: describe(bareMany),
        settle: describe(settleMany),
        ratio: times(throughputRatio),
        target: '≥ 0.50× and > 36/s',
        met: throughputRatio >= 0.5 && settleMany.perSecond > 36 && settleMany.errors === 0,
        note: `CPU in cores while it ran: bare start ${bareCpu.total.toFixed(2)} (${bareCpu.breakdown}); Settle ${settleCpu.total.toFixed(2)} (${settleCpu.breakdown})`,
      },
      {
        figure: `invoice create p50, one client${label}`,
        baseline: ms(bareOne.p50),
        settle: ms(settleOne.p50),
        ratio: times(latencyRatio),
        target: '≤ 50 ms and ≤ 5×',
        met: settleOne.p50 <= 50 && latencyRatio <= 5 && settleOne.errors === 0,
        note: profile,
      },
    ];
  } finally {
    await connection.close();
  }
}
