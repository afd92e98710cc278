import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HostileRpcFaults, NO_FAULTS, startHostileRpc } from '../harness/hostile-rpc';
import { type ReceivedWebhook, startReceiver } from '../harness/webhook-receiver';
import { killAtRandom, reorgAtRandom, type ChaosStats } from './chaos';
import { checkAgainstChain, type OracleResult } from './oracle';
import { Rng } from './rng';
import { SoakStack } from './stack';
import {
  createSoakMerchant,
  INVOICE_EXPIRES_IN_SECONDS,
  runMerchant,
  SoakApi,
  sleep,
  type TrafficContext,
  type TrafficStats,
} from './traffic';

export type RpcFaults = HostileRpcFaults;

export const DEFAULT_RPC_FAULTS: RpcFaults = {
  lagProbability: 0.3,
  maxLag: 2,
  logsLagProbability: 0.2,
  errorRate: 0.05,
  timeoutRate: 0.01,
  dropRate: 0.01,
  maxLogsRange: 50,
  timeoutMs: 3000,
};

export interface SoakOptions {
  seed: number;
  /** Length of the chaos phase (traffic, kills, reorgs); the drain and the oracle come after. */
  minutes: number;
  merchants: number;
  faults: boolean;
  rpcFaults: RpcFaults;
  /** Confirmations the soak's network requires; reorgs stay shallower. */
  confirmations: number;
  /** Which processes the soak SIGKILLs (of worker, api, temporal, postgres); default all it runs. */
  killTargets?: string[];
  /** Seconds between SIGKILLs, drawn uniformly from [min, max]. */
  killEverySeconds: [number, number];
  reorgEverySeconds: [number, number];
  /** Longest wait, after faults stop, for Settle to settle everything in flight. */
  drainTimeoutSeconds: number;
  /** The longest the drain waits on a backlog that is still shrinking; default as long as the chaos phase. */
  drainMaxMinutes?: number;
  /** A PostgreSQL server to use (never killed); without one the soak runs and kills its own. */
  databaseUrl?: string;
  workflowBundle?: string;
  /** On violations, keep the stack up this long for inspection before stopping it. */
  holdOnFailureSeconds?: number;
  log?: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS: Omit<SoakOptions, 'seed' | 'minutes'> = {
  merchants: 4,
  faults: true,
  rpcFaults: DEFAULT_RPC_FAULTS,
  confirmations: 4,
  killEverySeconds: [15, 45],
  reorgEverySeconds: [8, 25],
  drainTimeoutSeconds: 240,
};

export interface SoakResult {
  ok: boolean;
  summary: string;
  oracle: OracleResult;
  traffic: TrafficStats;
  chaos: ChaosStats;
  rpcStats?: unknown;
  dir: string;
}

/** Runs one soak: starts its own stack, drives it under faults, drains, asks the oracle, stops everything. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => console.log(`[soak] ${line}`));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-soak-'));
  const rng = new Rng(options.seed);
  const receiver = await startReceiver();
  const stack = new SoakStack({
    dir,
    masterSeed: seedHex(options.seed),
    databaseUrl: options.databaseUrl,
    confirmations: options.confirmations,
    workflowBundle: options.workflowBundle,
    // The worker reads the chain only through the hostile proxy; with faults off it passes everything through.
    rpcFront: (upstream) => startHostileRpc({ ...(options.faults ? options.rpcFaults : {}), upstream, seed: options.seed }),
  });
  // Whatever way the soak ends (an error, Ctrl-C), nothing it started outlives it.
  const onExit = () => stack.killAll();
  const onSignal = () => process.exit(130);
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const traffic: TrafficStats = {
    flows: {},
    transfers: 0,
    droppedTransfers: 0,
    withdrawalsRequested: 0,
    apiRetries: 0,
    errors: [],
  };
  const chaos: ChaosStats = { kills: {}, reorgs: 0, reorgDepths: [], reincluded: 0, droppedByReorg: 0, reorgErrors: 0 };
  try {
    log(`starting stack in ${dir}`);
    await stack.start();
    const ctx: TrafficContext = {
      api: new SoakApi(stack.apiUrl, traffic),
      pool: stack.pool,
      provider: stack.chain.provider,
      contracts: { token: stack.token, wrongToken: stack.wrongToken },
      receiverUrl: receiver.url,
      stats: traffic,
      seed: options.seed,
    };
    const merchants = [];
    for (let i = 0; i < options.merchants; i++) merchants.push(await createSoakMerchant(ctx, rng.fork(`merchant:${i}`), i));

    const until = Date.now() + options.minutes * 60_000;
    const over = () => Date.now() >= until;
    log(`chaos phase: ${options.minutes} min, ${options.merchants} merchants, faults ${options.faults ? 'on' : 'off'}`);
    const chaosLoops = options.faults
      ? [
          killAtRandom(
            stack.killable().filter((p) => !options.killTargets || options.killTargets.includes(p.name)),
            rng.fork('kills'),
            seconds(options.killEverySeconds),
            over,
            chaos,
          ),
          reorgAtRandom(
            stack.chain.provider,
            rng.fork('reorgs'),
            options.confirmations - 1,
            seconds(options.reorgEverySeconds),
            over,
            chaos,
          ),
        ]
      : [];
    await Promise.all([...merchants.map((m, i) => runMerchant(ctx, m, rng.fork(`traffic:${i}`), until)), ...chaosLoops]);

    log('drain: faults off, waiting for everything in flight to settle');
    stack.rpc?.setFaults(NO_FAULTS);
    await stack.waitHealthy();
    const drainSeconds = await drain(stack, options, receiver.requests, log);

    const oracle = await checkAgainstChain({
      provider: stack.chain.provider,
      pool: stack.pool,
      network: 'local',
      token: stack.token,
      confirmations: options.confirmations,
      merchants: merchants.map((m) => ({ id: m.id, sink: m.sink })),
      webhooks: receiver.requests,
    });
    for (const error of traffic.errors) oracle.violations.push(`driver: ${error}`);
    const rpcStats = stack.rpc?.stats();
    const summary = summarize(options, oracle, traffic, chaos, rpcStats, drainSeconds);
    log(summary);
    if (oracle.violations.length && options.holdOnFailureSeconds) {
      for (const v of oracle.violations.slice(0, 100)) log(`violation ${v}`);
      log(
        `holding the stack for ${options.holdOnFailureSeconds} s: TEMPORAL_ADDRESS=${stack.temporalAddress} DATABASE_URL=${stack.databaseUrl} API=${stack.apiUrl}`,
      );
      await sleep(options.holdOnFailureSeconds * 1000);
    }
    return { ok: oracle.counts.violations === 0, summary, oracle, traffic, chaos, rpcStats, dir };
  } finally {
    await stack.stop().catch((err) => log(`stop: ${(err as Error).message}`));
    await receiver.close();
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/**
 * Waits (faults off) until Settle has nothing in flight: the watcher has passed every block, every
 * deposit and withdrawal is final, every invoice has reached expiry, and every event has reached
 * the merchant's endpoint (what the oracle will ask). A backlog still being worked off is waited
 * for: it gives up once nothing has moved for the drain timeout (plus invoice expiry), or after
 * `drainMaxMinutes` (default: as long again as the chaos phase ran). Returns the seconds it took (the summary's `drain_s`).
 */
async function drain(
  stack: SoakStack,
  options: SoakOptions,
  webhooks: ReceivedWebhook[],
  log: (line: string) => void,
): Promise<number> {
  const provider = stack.chain.provider;
  const began = Date.now();
  const elapsed = () => Math.round((Date.now() - began) / 1000);
  const stallMs = options.drainTimeoutSeconds * 1000 + INVOICE_EXPIRES_IN_SECONDS * 1000;
  const giveUpAt = began + Math.max(stallMs, (options.drainMaxMinutes ?? options.minutes) * 60_000);
  let busy: string[] = [];
  let progress = '';
  let movedAt = began;
  await sleep((options.confirmations + 2) * 1000);
  for (;;) {
    try {
      busy = await inFlight(stack, await provider.getBlockNumber());
      if (!busy.length) busy = await undelivered(stack, webhooks);
      if (!busy.length) return elapsed();
    } catch {
      // a database or node hiccup right after the chaos: ask again
    }
    const now = `${busy.join(';')}|${webhooks.length}`;
    if (now !== progress) [progress, movedAt] = [now, Date.now()];
    if (Date.now() - movedAt > stallMs || Date.now() > giveUpAt) {
      log(`drain incomplete after ${elapsed()} s, still in flight: ${busy.join('; ')}`);
      return elapsed();
    }
    await sleep(1000);
  }
}

/**
 * What Settle still has in flight, in words; empty once everything is final. A pending invoice
 * counts however long past its expiry: it rightly waits for a transfer the watcher saw whose deposit
 * has not reported (one a reorg dropped fails only once the chain proves it gone). One that never
 * settles stalls the drain, and the oracle names it.
 */
async function inFlight(stack: SoakStack, head: number): Promise<string[]> {
  const r = await stack.pool.query<{ what: string }>(
    `SELECT 'watcher at block ' || next_block || ' of ' || $1::bigint AS what FROM chain_cursors WHERE network = 'local' AND next_block <= $1::bigint - 1
     UNION ALL SELECT 'deposit ' || id || ' ' || status FROM deposits WHERE status IN ('detected', 'confirming')
     UNION ALL SELECT 'withdrawal ' || id || ' ' || status FROM withdrawals WHERE status NOT IN ('completed', 'failed', 'rejected')
     UNION ALL SELECT 'invoice ' || id || ' pending' FROM invoices WHERE status = 'pending'
     UNION ALL SELECT 'webhook ' || id || ' pending' FROM webhook_deliveries WHERE status = 'pending'
     UNION ALL SELECT 'no watcher cursor' WHERE NOT EXISTS (SELECT 1 FROM chain_cursors WHERE network = 'local')
     LIMIT 20`,
    [head],
  );
  return r.rows.map((row) => row.what);
}

/** Stored events the merchant's endpoint has not received yet, in words. */
async function undelivered(stack: SoakStack, webhooks: ReceivedWebhook[]): Promise<string[]> {
  const received = new Set(webhooks.filter((w) => w.path.startsWith('/endpoint/')).map((w) => w.eventId));
  const events = await stack.pool.query<{ id: string; type: string }>('SELECT id, type FROM events');
  return events.rows
    .filter((e) => !received.has(e.id))
    .slice(0, 20)
    .map((e) => `event ${e.id} (${e.type}) undelivered`);
}

function summarize(
  options: SoakOptions,
  oracle: OracleResult,
  traffic: TrafficStats,
  chaos: ChaosStats,
  rpcStats: unknown,
  drainSeconds: number,
): string {
  const c = oracle.counts;
  const kills = Object.entries(chaos.kills)
    .map(([k, v]) => `${k}:${v}`)
    .join(',');
  const f = options.rpcFaults;
  const faults = options.faults
    ? `lag=${f.lagProbability}/${f.maxLag} logsLag=${f.logsLagProbability} err=${f.errorRate} timeout=${f.timeoutRate} drop=${f.dropRate} logsRange=${f.maxLogsRange}`
    : 'off';
  const rpc = rpcStats as { requests?: number } | undefined;
  return [
    `transfers=${c.transfers ?? 0}`,
    `deposits=${c.deposits ?? 0}`,
    `lost=${c.lost ?? 0}`,
    `doubled=${c.doubled ?? 0}`,
    `reorged_credited=${c.reorged_credited ?? 0}`,
    `unbalanced=${c.unbalanced ?? 0}`,
    `ledger_mismatch=${(c.ledger_mismatch ?? 0) + (c.gas_mismatch ?? 0)}`,
    `invoice_status=${c.invoice_status ?? 0}`,
    `undelivered=${c.undelivered ?? 0}`,
    `duplicate_ids=${c.duplicate_transition ?? 0}`,
    `stuck=${c.stuck ?? 0}`,
    `violations=${oracle.violations.length}`,
    `invoices=${c.invoices ?? 0}`,
    `events=${c.events ?? 0}`,
    `payments_sent=${traffic.transfers}`,
    `withdrawals=${traffic.withdrawalsRequested}`,
    `reorgs=${chaos.reorgs}`,
    `reincluded=${chaos.reincluded}`,
    `dropped=${chaos.droppedByReorg}`,
    `kills=${kills || 'none'}`,
    `drain_s=${drainSeconds}`,
    ...(rpc?.requests ? [`rpc_requests=${rpc.requests}`] : []),
    `seed=${options.seed}`,
    `minutes=${options.minutes}`,
    `merchants=${options.merchants}`,
    `faults=${faults}`,
  ].join(' ');
}

const seconds = ([a, b]: [number, number]): [number, number] => [a * 1000, b * 1000];

function seedHex(seed: number): string {
  return Buffer.from(`settle-soak-seed-${seed}`.padEnd(32, '.')).toString('hex').slice(0, 64);
}
