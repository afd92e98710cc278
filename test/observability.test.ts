import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { createApp } from '../api/app';
import { API_ROUTERS } from '../api/routers';
import { NetworkRegistry } from '../domain/networks';
import { startWorkerObservability } from '../worker/worker-observability';
import { eventually, TestStack } from './harness/test-stack';

/** What an operator watches: health, readiness, Prometheus metrics, request ids and clean logs. */
describe('operability', () => {
  let stack: TestStack;
  let worker: { port: number; close(): Promise<void> };
  let api: Server;
  let apiUrl = '';
  let logs = '';

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true });
    worker = await startWorkerObservability({
      host: '127.0.0.1',
      port: 0,
      pool: stack.pool,
      temporal: stack.connection,
      registry: stack.registry,
      networks: ['local'],
    });
    // The stack's API, with its JSON logs captured so the test can read everything it wrote.
    const sink = new Writable({ write: (chunk, _enc, done) => ((logs += chunk.toString()), done()) });
    const app = createApp(
      {
        pool: stack.pool,
        temporal: stack.client,
        registry: stack.registry,
        taskQueue: stack.taskQueue,
        monitorWindowSeconds: 86_400,
      },
      { extraRouters: API_ROUTERS, observability: { logger: pino({ base: { process: 'api' } }, sink) } },
    );
    api = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = api.address();
    apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await worker?.close();
    await new Promise((r) => (api ? api.close(r) : r(undefined)));
    await stack?.stop();
  });

  const call = async (method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      requestId: res.headers.get('request-id'),
      text,
      body: text.startsWith('{') ? JSON.parse(text) : undefined,
    };
  };
  const workerGet = (path: string) => fetch(`http://127.0.0.1:${worker.port}${path}`);

  test('when the API and the worker are probed, then /healthz answers and /readyz reports PostgreSQL, Temporal and the chain', async () => {
    expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const apiReady = await call('GET', '/readyz');
    expect(apiReady.status).toBe(200);
    expect(apiReady.body.checks).toEqual({ postgres: 'ok', temporal: 'ok' });
    expect(await (await workerGet('/healthz')).json()).toEqual({ status: 'ok' });
    const workerReady = await workerGet('/readyz');
    expect(workerReady.status).toBe(200);
    expect(await workerReady.json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', temporal: 'ok', 'chain:local': 'ok' },
    });
  });

  test('when the chain is unreachable, then /readyz answers 503 naming it without showing its URL', async () => {
    const dead = new NetworkRegistry({
      ...stack.registry.config,
      networks: stack.registry.config.networks.map((n) =>
        n.id === 'local' ? { ...n, rpcUrls: ['http://user:key@127.0.0.1:1'] } : n,
      ),
    });
    const probe = await startWorkerObservability({
      host: '127.0.0.1',
      port: 0,
      pool: stack.pool,
      temporal: stack.connection,
      registry: dead,
      networks: ['local'],
    });
    try {
      const res = await fetch(`http://127.0.0.1:${probe.port}/readyz`);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(res.status).toBe(503);
      expect(body.checks.postgres).toBe('ok');
      expect(body.checks['chain:local']).toMatch(/^unreachable/);
      expect(JSON.stringify(body)).not.toContain('key@');
    } finally {
      await probe.close();
    }
  });

  test('when any request is made, then it carries a Request-Id, echoed in error bodies, and a sane caller id is kept', async () => {
    const { key } = await stack.merchant();
    const missing = await call('GET', '/v1/invoices/inv_000000000000000000000000', key);
    expect(missing.status).toBe(404);
    expect(missing.requestId).toMatch(/^req_[0-9a-f]{24}$/);
    expect(missing.body.error.request_id).toBe(missing.requestId);

    const unauthenticated = await call('GET', '/v1/invoices', 'sk_test_wrong', undefined, { 'Request-Id': 'trace-42.a' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.requestId).toBe('trace-42.a');
    expect(unauthenticated.body.error.request_id).toBe('trace-42.a');

    const hostile = await call('GET', '/healthz', undefined, undefined, { 'Request-Id': 'a b\tc' });
    expect(hostile.requestId).toMatch(/^req_/);
    expect(logs).toContain('"request_id":"trace-42.a"');
  });

  test('when an invoice is paid through the pipeline, then /metrics shows request latency, deposits by status and watcher lag', async () => {
    const merchant = await stack.merchant();
    const endpoint = await call('POST', '/api/v1/webhook-endpoints', merchant.key, { url: 'http://127.0.0.1:9/hook' });
    expect(endpoint.status).toBe(201);
    const invoice = (await call('POST', '/v1/invoices', merchant.key, { amount: '3' })).body.data;
    expect((await call('POST', '/v1/simulate/deposit', merchant.key, { invoice_id: invoice.id })).status).toBe(202);
    await eventually(async () => {
      const r = await call('GET', `/v1/invoices/${invoice.id}`, merchant.key);
      return r.body.data.status === 'paid' ? true : undefined;
    }, 'the invoice to be paid');

    const apiMetrics = (await call('GET', '/metrics')).text;
    expect(apiMetrics).toMatch(
      /settle_http_request_duration_seconds_count\{[^}]*route="[^"]*\/invoices"[^}]*status="201"[^}]*\} [1-9]/,
    );
    expect(apiMetrics).toMatch(/settle_http_request_duration_seconds_bucket\{[^}]*route="[^"]*\/invoices\/:id"/);
    const workerMetrics = await (await workerGet('/metrics')).text();
    expect(workerMetrics).toMatch(/settle_deposits\{[^}]*network="local"[^}]*status="completed"[^}]*\} 1\b/);
    expect(workerMetrics).toMatch(/settle_watcher_lag_blocks\{[^}]*network="local"[^}]*\} \d+/);
    expect(workerMetrics).toMatch(/settle_webhook_attempts\{[^}]*outcome="failed"/);
    expect(workerMetrics).toContain('settle_withdrawals_in_flight');
    expect(workerMetrics).toContain('settle_withdrawals_stuck');

    // Everything the run created that must stay secret, against every log line the API wrote.
    const secrets = [merchant.key, merchant.callbackSecret, merchant.callbackSecretTest, endpoint.body.data.secret, stack.seed];
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
