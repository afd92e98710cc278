import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchAddressLookup } from './address-lookup';
import { benchCatchUp } from './catch-up';
import { benchConfirmingAtOnce } from './confirming-at-once';
import { benchDepositLatency } from './deposit-latency';
import { startBenchCluster } from './cluster-stack';
import { startBenchStack } from './dev-stack';
import { benchIdleCpu } from './idle-cpu';
import { benchInvoiceCreate } from './invoice-create';
import { benchNoisyNeighbour } from './noisy-neighbour';
import { type BenchRow, renderTable } from './table';

/**
 * `npm run bench`: starts its own dev stack (as `npm start` does, on free ports and a temporary
 * data directory), measures every figure of the speed targets beside its baseline, prints one
 * table and writes it to bench/RESULTS.md. Sizes are arguments; their values are printed with the
 * results so any run can be repeated. The defaults keep a run under 10 minutes even on a busy
 * 2-core machine; the full sizes are flags. Speed targets live here, never in timed tests.
 * The catch-up backlog defaults to 2000 blocks: Anvil's anvil_mine slows with chain height (about
 * 40 s per 1000 empty blocks past 4000 on a loaded 2-core machine), so building the 10k
 * backlog alone takes longer than the whole run may (`--catch-up-blocks 10000` still does it).
 *
 *   npm run bench [-- --idle-seconds 600 --deposits 10000 --only invoice-create,idle-cpu,noisy-neighbour --noisy-payments 1 --noisy-control --stack cluster]
 */
const { values: args } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '60' },
    'create-sequential': { type: 'string', default: '40' },
    'create-concurrent': { type: 'string', default: '160' },
    clients: { type: 'string', default: '16' },
    'open-invoices': { type: 'string', default: '150' },
    'latency-rounds': { type: 'string', default: '4' },
    'latency-per-round': { type: 'string', default: '4' },
    'catch-up-blocks': { type: 'string', default: '2000' },
    'catch-up-transfers': { type: 'string', default: '100' },
    deposits: { type: 'string', default: '100' },
    'lookup-sizes': { type: 'string', default: '1000,10000,100000,1000000' },
    'noisy-creates': { type: 'string', default: '10' },
    'noisy-payments': { type: 'string', default: '5' },
    // A control: both rounds run with no neighbour at all, so the method's own spread is known.
    'noisy-control': { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    // `cluster`: the figures on `npm run cluster`'s deployment (a real Temporal server on
    // PostgreSQL, split workers) instead of `npm start`'s dev stack.
    stack: { type: 'string', default: 'dev' },
    out: { type: 'string', default: path.join(__dirname, 'RESULTS.md') },
  },
});

async function main(): Promise<void> {
  const n = (k: keyof typeof args) => Number(args[k]);
  const only = new Set(String(args.only).split(',').filter(Boolean));
  const wanted = (figure: string) => !only.size || only.has(figure);
  const began = Date.now();
  const rows: BenchRow[] = [];
  const log = (msg: string) => console.log(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

  if (args.stack !== 'dev' && args.stack !== 'cluster') throw new Error(`--stack is dev or cluster, not ${args.stack}`);
  log(`starting the ${args.stack} stack`);
  const stack = args.stack === 'cluster' ? await startBenchCluster(log) : await startBenchStack();
  try {
    log(`stack up: API ${stack.apiUrl}, Temporal ${stack.temporalAddress}`);
    const figures: Array<[string, () => Promise<BenchRow[]>]> = [
      // Idle first, on the fresh stack, before any traffic.
      ['idle-cpu', () => benchIdleCpu(stack, n('idle-seconds'))],
      [
        'invoice-create',
        () =>
          benchInvoiceCreate(stack, {
            sequential: n('create-sequential'),
            concurrentTotal: n('create-concurrent'),
            clients: n('clients'),
          }),
      ],
      ['deposit-latency', () => benchDepositLatency(stack, n('latency-rounds'), n('latency-per-round'))],
      ['confirming-at-once', () => benchConfirmingAtOnce(stack, n('deposits'))],
      ['catch-up', () => benchCatchUp(stack, n('catch-up-blocks'), n('catch-up-transfers'))],
      ['lookup', () => benchAddressLookup(stack, String(args['lookup-sizes']).split(',').map(Number))],
      [
        'invoice-create-loaded',
        async () => {
          // The second case: a stack already holding open invoices (the runs above add theirs).
          const open = n('open-invoices');
          await benchInvoiceCreate(stack, { sequential: 1, concurrentTotal: open, clients: n('clients') });
          return benchInvoiceCreate(
            stack,
            { sequential: n('create-sequential'), concurrentTotal: n('create-concurrent'), clients: n('clients') },
            `, ≥ ${open + n('create-concurrent') + n('create-sequential')} open invoices`,
          );
        },
      ],
      // Last: the neighbour's deliveries keep retrying for minutes after it.
      [
        'noisy-neighbour',
        () => benchNoisyNeighbour(stack, n('noisy-creates'), n('noisy-payments'), Boolean(args['noisy-control'])),
      ],
    ];
    for (const [name, run] of figures) {
      if (!wanted(name)) continue;
      log(`measuring ${name}`);
      // One figure failing (a busy machine, a stuck step) still leaves the others' rows.
      const measured = await run().catch((err: Error): BenchRow[] => [
        {
          figure: name,
          baseline: '—',
          settle: `did not finish: ${err.message.split('\n')[0]}`,
          ratio: '—',
          target: '—',
          met: false,
        },
      ]);
      for (const row of measured) log(`${row.figure}: ${row.settle} (baseline ${row.baseline})`);
      rows.push(...measured);
    }
  } finally {
    log(`stopping the ${args.stack} stack`);
    await stack.stop();
  }

  const table = renderTable(rows);
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
  const settings = Object.entries(args)
    .filter(([k]) => k !== 'out')
    .map(([k, v]) => `--${k} ${v || '(all)'}`)
    .join(' ');
  console.log(`\n${table}\n\n${notes.join('\n')}\n`);
  writeFileSync(
    String(args.out),
    `# Bench results\n\nLatest \`npm run bench\`, ${new Date().toISOString()}, ${((Date.now() - began) / 1000).toFixed(0)} s.\n\n` +
      `Machine: ${machine}; load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.\n\n` +
      `Settings: \`${settings}\`\n\n${table}\n\n${notes.join('\n')}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
