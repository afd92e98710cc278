import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Contract, JsonRpcProvider, parseUnits, Wallet, zeroPadValue } from 'ethers';
import { Pool } from 'pg';
import { erc20Interface, TRANSFER_TOPIC } from '../activities/chain/erc20';
import { bodySignature } from '../activities/webhooks/sign-payload';
import { createApiKey, createMerchant } from '../activities/db/merchants';
import { ClusterStack } from '../scripts/cluster/cluster-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';
import { eventually } from './harness/test-stack';

/**
 * Settle as deployed: a Temporal server on PostgreSQL (not the dev server), two APIs, two payment
 * workers and two webhook workers. The payment walkthrough runs across both APIs while one worker
 * of each kind is SIGKILLed for good; the survivors must finish everything, and nothing may happen
 * twice.
 */
jest.setTimeout(420_000);

let stack: ClusterStack;
let pool: Pool;
let provider: JsonRpcProvider;
let receiver: Receiver;
let apiKey = '';
let callbackSecret = '';
let endpointSecret = '';
let request = 0;
/** Request-Id of each API call that started work, by what it did. */
const requestIds: Record<string, string> = {};

/** Alternates between the APIs, as a load balancer would. */
async function api(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const base = stack.apiUrls[request++ % stack.apiUrls.length]!;
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, requestId: res.headers.get('request-id') ?? '' };
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-cluster-'));
  const server = new URL(process.env.DATABASE_URL!);
  server.pathname = '/postgres';
  stack = new ClusterStack({
    dir,
    serverUrl: server.toString(),
    name: `settle_cluster_${randomBytes(4).toString('hex')}`,
    masterSeed: randomBytes(32).toString('hex'),
    checkoutSecret: randomBytes(32).toString('hex'),
    workflowBundle: process.env.SETTLE_TEST_WORKFLOW_BUNDLE,
    logToFiles: true,
    // The secret grep and the request-id trail below need every info line.
    logLevel: 'info',
    log: () => undefined,
  });
  await stack.start();
  pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  provider = new JsonRpcProvider(stack.rpcUrl, 31337, { staticNetwork: true });
  receiver = await startReceiver();
  const merchant = await createMerchant(pool, { name: 'Cluster shop' });
  callbackSecret = merchant.callbackSecretTest;
  apiKey = (
    await createApiKey(pool, {
      merchantId: merchant.id,
      livemode: false,
      scopes: ['read', 'write', 'withdraw', 'webhooks'],
      description: 'cluster test',
    })
  ).key;
});

afterAll(async () => {
  await receiver?.close();
  provider?.destroy();
  await pool?.end();
  await stack?.stop();
  await dropDatabases();
});

async function dropDatabases() {
  if (!stack) return;
  const admin = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  const name = new URL(stack.databaseUrl).pathname.slice(1);
  for (const db of [name, `${name}_temporal`, `${name}_temporal_visibility`])
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
}

async function createInvoice(amount: string) {
  const r = await api('POST', '/v1/invoices', { amount, callback_url: `${receiver.url}/webhooks` });
  expect(r.status).toBe(201);
  return r.body.data as { id: string; deposit_address: string };
}

async function simulatePayment(invoiceId: string) {
  const r = await api('POST', '/api/v1/simulate/deposit', { invoice_id: invoiceId });
  expect(r.status).toBeLessThan(300);
  requestIds.simulate ??= r.requestId;
}

const waitPaid = (invoiceId: string) =>
  eventually(
    async () => {
      const r = await api('GET', `/v1/invoices/${invoiceId}`);
      return r.body.data?.status === 'paid' && r.body.data.deposits?.[0]?.status === 'completed' ? true : undefined;
    },
    `invoice ${invoiceId} to be paid`,
    240_000,
  );

test('when one worker of each kind is SIGKILLed during the walkthrough, then every deposit is credited once, every withdrawal is sent once, every payment reaches the endpoint, and one chain watcher runs', async () => {
  // Arrange: a first invoice paid while both workers run, so the merchant has a balance to withdraw.
  const endpoint = await api('POST', '/v1/webhook-endpoints', { url: `${receiver.url}/endpoint` });
  expect(endpoint.status).toBe(201);
  endpointSecret = endpoint.body.data.secret;
  const first = await createInvoice('50.00');
  await simulatePayment(first.id);
  await waitPaid(first.id);

  // Act: more payments and two withdrawals in flight, then a payment worker and a webhook worker die for good.
  const later = [await createInvoice('20.00'), await createInvoice('30.00')];
  for (const invoice of later) await simulatePayment(invoice.id);
  const sink = Wallet.createRandom().address;
  const withdrawals: string[] = [];
  for (const [i, amount] of ['10.00', '5.00'].entries()) {
    const r = await api('POST', '/v1/withdraw', { amount, to_address: sink }, { 'Idempotency-Key': `cluster-${i}` });
    expect(r.status).toBeLessThan(300);
    withdrawals.push(r.body.id as string);
    requestIds.withdraw ??= r.requestId;
  }
  await stack.supervisor.kill('worker-1', { restart: false });
  await stack.supervisor.kill('webhook-worker-1', { restart: false });
  for (const invoice of later) await waitPaid(invoice.id);
  for (const id of withdrawals)
    await eventually(
      async () => ((await api('GET', `/v1/withdrawals/${id}`)).body.data?.status === 'completed' ? true : undefined),
      `withdrawal ${id} to complete`,
      150_000,
    );

  // Assert: one credit per deposit.
  const deposits = await pool.query<{ id: string; credits: number }>(
    `SELECT d.id, (SELECT count(DISTINCT txn_id)::int FROM ledger_entries l WHERE l.ref_type = 'deposit' AND l.ref_id = d.id) AS credits
     FROM deposits d`,
  );
  expect(deposits.rows).toHaveLength(3);
  for (const d of deposits.rows) expect(d.credits).toBe(1);

  // One transfer per withdrawal, as the chain itself tells it.
  const sent = await provider.getLogs({
    address: stack.token,
    topics: [TRANSFER_TOPIC, null, zeroPadValue(sink.toLowerCase(), 32)],
    fromBlock: 0,
  });
  const amounts = sent.map((l) => BigInt(l.data)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  expect(amounts).toEqual([parseUnits('5', 18), parseUnits('10', 18)]);
  const token = new Contract(stack.token, erc20Interface, provider);
  expect(await token.getFunction('balanceOf')(sink)).toBe(parseUnits('15', 18));

  // Each payment reached the merchant's endpoint, signed with its secret, through the surviving webhook worker.
  for (const invoice of [first, ...later])
    await eventually(
      async () =>
        receiver.requests.find(
          (r) =>
            r.path === '/endpoint' &&
            r.body.event === 'invoice.paid' &&
            r.body.data?.id === invoice.id &&
            r.headers['x-webhook-signature'] === bodySignature(r.rawBody, endpointSecret),
        ),
      `invoice.paid of ${invoice.id} at the endpoint`,
      60_000,
    );

  // One chain watcher for the network, found through the cluster's SQL visibility and Settle's search attributes.
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.namespace });
    // The watcher continues as new every few seconds; between one run closing and the next being
    // indexed, visibility lists none, so ask until it lists some, then require exactly one.
    const watchers = await eventually(
      async () => {
        const running: string[] = [];
        for await (const w of client.workflow.list({
          query: `WorkflowType = 'chainWatcherWorkflow' AND ExecutionStatus = 'Running' AND SettleNetwork = 'local'`,
        }))
          running.push(w.workflowId);
        return running.length ? running : undefined;
      },
      'a running chain watcher in visibility',
      30_000,
    );
    expect(watchers).toEqual(['chain-watcher-local']);
  } finally {
    await connection.close();
  }
});

test('when the walkthrough is over, then no process log holds the API key or a webhook secret it created', () => {
  const logs = readdirSync(stack.logDir).map((f) => readFileSync(path.join(stack.logDir, f), 'utf8'));
  expect(logs.join('').length).toBeGreaterThan(0);
  for (const secret of [apiKey, callbackSecret, endpointSecret]) {
    expect(secret.length).toBeGreaterThan(20);
    for (const log of logs) expect(log).not.toContain(secret);
  }
});

test('when a request starts work, then the worker logs of the activities it caused carry its Request-Id', () => {
  const lines = stack.workerNames
    .flatMap((name) => readFileSync(path.join(stack.logDir, `${name}.log`), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { request_id?: string; activityType?: string; msg?: string });
  for (const [what, id] of Object.entries(requestIds)) {
    expect(id).toMatch(/^req_/);
    const caused = lines.filter((l) => l.request_id === id && l.activityType);
    expect(caused.length > 0 ? what : `no activity log line of the ${what} request`).toBe(what);
    expect(caused.some((l) => l.msg === 'activity completed')).toBe(true);
  }
  expect(Object.keys(requestIds).sort()).toEqual(['simulate', 'withdraw']);
});
