import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';

/**
 * A JSON-RPC proxy in front of a real node (Anvil) that behaves like a load-balanced public
 * endpoint: each HTTP request goes to a "backend" that may be k blocks behind, or whose log index
 * lags its blocks; requests fail with 429, -32005, 5xx, time out or lose their connection; wide
 * eth_getLogs ranges are refused. Every random choice comes from one seeded PRNG, so a serial
 * sequence of requests sees the same faults for the same seed.
 *
 * Test-control methods (anvil_*, evm_*, hardhat_*) pass through untouched and fault-free, so a test
 * can drive the chain through the same URL.
 */

/** Fault rates; each is a probability in [0, 1] per HTTP request unless said otherwise. */
export interface HostileRpcFaults {
  /** Probability that a request is answered by a backend k blocks behind the head (1 ≤ k ≤ maxLag). */
  lagProbability: number;
  /** Largest lag, in blocks. */
  maxLag: number;
  /** Probability that eth_getLogs alone answers k blocks behind while blocks and receipts are current. */
  logsLagProbability: number;
  /** Probability of an error answer: HTTP 429, HTTP 5xx or JSON-RPC -32005 "limit exceeded". */
  errorRate: number;
  /** Probability that a request hangs for timeoutMs, then its connection closes without an answer. */
  timeoutRate: number;
  /** Probability that a request's connection is dropped without an answer. */
  dropRate: number;
  /** Widest eth_getLogs range (blocks, inclusive) accepted; wider ranges get -32005. 0: no limit. */
  maxLogsRange: number;
  /** How long a timed-out request hangs before its connection closes. */
  timeoutMs: number;
  /** Time every answer takes (a slow or distant node); 0 or absent: as fast as the node. */
  latencyMs?: number;
}

export interface HostileRpcOptions extends Partial<HostileRpcFaults> {
  /** URL of the real node. */
  upstream: string;
  /** PRNG seed: same seed, same sequence of faults. */
  seed: number;
  /** Port to listen on (127.0.0.1); 0 or absent picks a free one. */
  port?: number;
}

export interface HostileRpcStats {
  requests: number;
  calls: number;
  lagged: number;
  logsLagged: number;
  http429: number;
  http5xx: number;
  limitExceeded: number;
  timeouts: number;
  drops: number;
  rangeRefused: number;
  byMethod: Record<string, number>;
}

export interface HostileRpc {
  url: string;
  stats(): HostileRpcStats;
  setFaults(faults: Partial<HostileRpcFaults>): void;
  /**
   * Holds the next request that calls `method` before anything of it is read from the node (a
   * backend that hangs), until `release`: a barrier that forces a race at one named point.
   */
  hold(method: string): HeldRequest;
  stop(): Promise<void>;
}

export interface HeldRequest {
  /** Resolves once a request calling the method has arrived and is being held. */
  reached: Promise<void>;
  release(): void;
}

export const NO_FAULTS: HostileRpcFaults = {
  lagProbability: 0,
  maxLag: 0,
  logsLagProbability: 0,
  errorRate: 0,
  timeoutRate: 0,
  dropRate: 0,
  maxLogsRange: 0,
  timeoutMs: 2000,
  latencyMs: 0,
};

interface RpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method: string;
  params?: unknown[];
}

type RpcResponse = { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: { code: number; message: string } };

/** The view one request's backend has of the chain. */
interface View {
  /** Newest block this backend serves. */
  head: number;
  /** Newest block its log index covers (≤ head). */
  logsHead: number;
}

const PASS_THROUGH = /^(anvil_|evm_|hardhat_|web3_|net_)/;

/** mulberry32: small, fast, and good enough to spread faults; the same seed gives the same stream. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const toHex = (n: number) => `0x${n.toString(16)}`;

export async function startHostileRpc(options: HostileRpcOptions): Promise<HostileRpc> {
  const { upstream, seed, port = 0, ...faultOptions } = options;
  let faults: HostileRpcFaults = { ...NO_FAULTS, ...faultOptions };
  const random = seededRandom(seed);
  const stats: HostileRpcStats = {
    requests: 0,
    calls: 0,
    lagged: 0,
    logsLagged: 0,
    http429: 0,
    http5xx: 0,
    limitExceeded: 0,
    timeouts: 0,
    drops: 0,
    rangeRefused: 0,
    byMethod: {},
  };
  const sockets = new Set<Socket>();
  const hanging = new Set<NodeJS.Timeout>();
  const holds: Array<{ method: string; arrived(): void; released: Promise<void> }> = [];
  let nextUpstreamId = 1;

  async function callUpstream(method: string, params: unknown[]): Promise<RpcResponse> {
    const res = await fetch(upstream, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextUpstreamId++, method, params }),
    });
    return (await res.json()) as RpcResponse;
  }

  async function upstreamResult(method: string, params: unknown[]): Promise<unknown> {
    const answer = await callUpstream(method, params);
    if (answer.error) throw Object.assign(new Error(answer.error.message), { rpc: answer.error });
    return answer.result;
  }

  /** Draws this request's backend: how far behind its blocks and its log index are. */
  function drawLag(): { lag: number; logsLag: number } {
    const lagOnce = () => 1 + Math.floor(random() * Math.max(1, faults.maxLag));
    const lag = faults.maxLag > 0 && random() < faults.lagProbability ? lagOnce() : 0;
    const logsLag = faults.maxLag > 0 && random() < faults.logsLagProbability ? lagOnce() : 0;
    return { lag, logsLag };
  }

  function resolveTag(tag: unknown, view: View, forLogs = false): number | undefined {
    const head = forLogs ? view.logsHead : view.head;
    if (tag === undefined || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') return head;
    if (tag === 'earliest') return 0;
    if (typeof tag === 'string' && tag.startsWith('0x')) return Number.parseInt(tag, 16);
    return undefined;
  }

  const blockNumberOf = (value: unknown): number | undefined => {
    const n = (value as { blockNumber?: string | null; number?: string | null } | null)?.blockNumber;
    const m = (value as { number?: string | null } | null)?.number;
    const hex = n ?? m;
    return typeof hex === 'string' ? Number.parseInt(hex, 16) : undefined;
  };

  /** Answers one call as a backend with the given view would. */
  async function answer(req: RpcRequest, view: View): Promise<unknown> {
    const params = Array.isArray(req.params) ? [...req.params] : [];
    switch (req.method) {
      case 'eth_blockNumber':
        return toHex(view.head);
      case 'eth_getBlockByNumber': {
        const n = resolveTag(params[0], view);
        if (n === undefined) return upstreamResult(req.method, params);
        if (n > view.head) return null;
        return upstreamResult(req.method, [toHex(n), ...params.slice(1)]);
      }
      case 'eth_getBlockByHash':
      case 'eth_getTransactionReceipt':
      case 'eth_getTransactionByHash':
      case 'eth_getBlockReceipts': {
        if (req.method === 'eth_getBlockReceipts') {
          const n = resolveTag(params[0], view);
          if (n !== undefined) {
            if (n > view.head) return null;
            params[0] = toHex(n);
          }
        }
        const result = await upstreamResult(req.method, params);
        const n = Array.isArray(result) ? blockNumberOf(result[0]) : blockNumberOf(result);
        return n !== undefined && n > view.head ? null : result;
      }
      case 'eth_getLogs':
        return answerLogs(params, view);
      case 'eth_getBalance':
      case 'eth_getTransactionCount':
      case 'eth_getCode':
      case 'eth_getStorageAt':
      case 'eth_call': {
        // State reads "as of latest" read this backend's latest.
        const last = params.length - 1;
        if (last >= 1 && params[last] === 'latest') params[last] = toHex(view.head);
        return upstreamResult(req.method, params);
      }
      default:
        return upstreamResult(req.method, params);
    }
  }

  async function answerLogs(params: unknown[], view: View): Promise<unknown> {
    const filter = { ...((params[0] ?? {}) as Record<string, unknown>) };
    if (typeof filter.blockHash === 'string') {
      const logs = (await upstreamResult('eth_getLogs', [filter])) as unknown[];
      const block = await upstreamResult('eth_getBlockByHash', [filter.blockHash, false]);
      const n = blockNumberOf(block);
      // A backend that has not indexed the block does not know the hash: geth answers "unknown block".
      if (n === undefined || n > view.logsHead) {
        throw Object.assign(new Error('unknown block'), { rpc: { code: -32000, message: 'unknown block' } });
      }
      return logs;
    }
    const from = resolveTag(filter.fromBlock, view, true);
    const to = resolveTag(filter.toBlock, view, true);
    if (from === undefined || to === undefined) return upstreamResult('eth_getLogs', [filter]);
    if (faults.maxLogsRange > 0 && to - from + 1 > faults.maxLogsRange) {
      stats.rangeRefused++;
      throw Object.assign(new Error('range refused'), {
        rpc: { code: -32005, message: `query exceeds max block range ${faults.maxLogsRange}` },
      });
    }
    // Blocks this backend has not indexed yet contribute nothing: the answer is silently short.
    const clampedTo = Math.min(to, view.logsHead);
    if (from > clampedTo) return [];
    const logs = (await upstreamResult('eth_getLogs', [
      { ...filter, fromBlock: toHex(from), toBlock: toHex(clampedTo) },
    ])) as unknown[];
    return logs.filter((l) => (blockNumberOf(l) ?? 0) <= view.logsHead);
  }

  async function answerAll(requests: RpcRequest[]): Promise<RpcResponse[]> {
    const control = requests.every((r) => PASS_THROUGH.test(r.method));
    let view: View = { head: Number.MAX_SAFE_INTEGER, logsHead: Number.MAX_SAFE_INTEGER };
    if (!control) {
      const head = Number.parseInt((await upstreamResult('eth_blockNumber', [])) as string, 16);
      const { lag, logsLag } = drawLag();
      if (lag) stats.lagged++;
      if (logsLag) stats.logsLagged++;
      const viewHead = Math.max(0, head - lag);
      view = { head: viewHead, logsHead: Math.max(0, viewHead - logsLag) };
    }
    return Promise.all(
      requests.map(async (req) => {
        stats.calls++;
        stats.byMethod[req.method] = (stats.byMethod[req.method] ?? 0) + 1;
        const id = req.id ?? null;
        try {
          if (PASS_THROUGH.test(req.method)) return await callUpstream(req.method, req.params ?? []);
          return { jsonrpc: '2.0' as const, id, result: await answer(req, view) };
        } catch (err) {
          const rpc = (err as { rpc?: { code: number; message: string } }).rpc;
          return { jsonrpc: '2.0' as const, id, error: rpc ?? { code: -32603, message: String(err) } };
        }
      }),
    ).then((answers) => answers.map((a, i) => ({ ...a, id: requests[i]!.id ?? null })));
  }

  /** Decides this request's transport fault, if any, before anything is forwarded. */
  function drawFault(): 'drop' | 'timeout' | 'http429' | 'http5xx' | 'limit' | undefined {
    const r = random();
    let edge = faults.dropRate;
    if (r < edge) return 'drop';
    edge += faults.timeoutRate;
    if (r < edge) return 'timeout';
    edge += faults.errorRate;
    if (r < edge) {
      const kind = random();
      return kind < 1 / 3 ? 'http429' : kind < 2 / 3 ? 'http5xx' : 'limit';
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: RpcRequest | RpcRequest[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcRequest | RpcRequest[];
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    const batch = Array.isArray(body);
    const requests: RpcRequest[] = Array.isArray(body) ? body : [body];
    stats.requests++;
    const held = holds.findIndex((h) => requests.some((r) => r.method === h.method));
    if (held >= 0) {
      const [h] = holds.splice(held, 1);
      h!.arrived();
      await h!.released;
    }

    const fault = requests.every((r) => PASS_THROUGH.test(r.method)) ? undefined : drawFault();
    // Half the lost answers lose them after the backend acted: a sent transaction may be mined
    // though its sender never heard back.
    const forwardAnyway = fault === 'drop' || fault === 'timeout' ? random() < 0.5 : false;
    switch (fault) {
      case 'drop':
        stats.drops++;
        if (forwardAnyway) await answerAll(requests).catch(() => undefined);
        req.socket.destroy();
        return;
      case 'timeout': {
        stats.timeouts++;
        if (forwardAnyway) await answerAll(requests).catch(() => undefined);
        const timer = setTimeout(() => {
          hanging.delete(timer);
          req.socket.destroy();
        }, faults.timeoutMs);
        hanging.add(timer);
        return;
      }
      case 'http429':
        stats.http429++;
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' });
        res.end('Too Many Requests');
        return;
      case 'http5xx': {
        stats.http5xx++;
        const status = [500, 502, 503][Math.floor(random() * 3)]!;
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(`<html><body><h1>${status}</h1>upstream unavailable</body></html>`);
        return;
      }
      case 'limit': {
        stats.limitExceeded++;
        const errors = requests.map((r) => ({
          jsonrpc: '2.0',
          id: r.id ?? null,
          error: { code: -32005, message: 'limit exceeded' },
        }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(batch ? errors : errors[0]));
        return;
      }
    }

    const control = requests.every((r) => PASS_THROUGH.test(r.method));
    if (faults.latencyMs && !control) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    let answers: RpcResponse[];
    try {
      answers = await answerAll(requests);
    } catch {
      // The real node itself is unreachable: look like a gateway that lost its backend.
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('Bad Gateway');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(batch ? answers : answers[0]));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;

  return {
    url,
    stats: () => ({ ...stats, byMethod: { ...stats.byMethod } }),
    setFaults(partial) {
      faults = { ...faults, ...partial };
    },
    hold(method) {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ method, arrived, released });
      return { reached, release };
    },
    async stop() {
      for (const t of hanging) clearTimeout(t);
      hanging.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** By hand: `npx tsx test/harness/hostile-rpc.ts --upstream http://127.0.0.1:8545 --port 8546 --seed 1 --lag-probability 0.5 --max-lag 1`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string', default: 'http://127.0.0.1:8545' },
      port: { type: 'string', default: '8546' },
      seed: { type: 'string', default: '1' },
      'lag-probability': { type: 'string', default: '0' },
      'max-lag': { type: 'string', default: '0' },
      'logs-lag-probability': { type: 'string', default: '0' },
      'error-rate': { type: 'string', default: '0' },
      'timeout-rate': { type: 'string', default: '0' },
      'drop-rate': { type: 'string', default: '0' },
      'max-logs-range': { type: 'string', default: '0' },
      'timeout-ms': { type: 'string', default: '2000' },
    },
  });
  const faults: HostileRpcFaults = {
    lagProbability: Number(values['lag-probability']),
    maxLag: Number(values['max-lag']),
    logsLagProbability: Number(values['logs-lag-probability']),
    errorRate: Number(values['error-rate']),
    timeoutRate: Number(values['timeout-rate']),
    dropRate: Number(values['drop-rate']),
    maxLogsRange: Number(values['max-logs-range']),
    timeoutMs: Number(values['timeout-ms']),
  };
  const proxy = await startHostileRpc({
    upstream: values.upstream!,
    port: Number(values.port),
    seed: Number(values.seed),
    ...faults,
  });
  console.log(`hostile RPC on ${proxy.url} -> ${values.upstream} seed=${values.seed} ${JSON.stringify(faults)}`);
  const report = setInterval(() => console.log(JSON.stringify(proxy.stats())), 10_000);
  process.once('SIGINT', () => {
    clearInterval(report);
    void proxy.stop().then(() => process.exit(0));
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
