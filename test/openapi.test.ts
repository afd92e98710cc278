import type { z } from 'zod';
import {
  CustomerObject,
  DepositObject,
  Envelope,
  ErrorBody,
  InvoiceObject,
  ListEnvelope,
  SimulatedDepositObject,
} from '../domain/api-objects';
import { createApp } from '../api/app';
import { API_ROUTERS } from '../api/routers';
import { API_PREFIXES, openApiPath } from '../api/openapi/build-document';
import { EVENT_TYPES } from '../domain/events';
import { registeredRoutes } from './harness/route-table';
import { TestStack, eventually } from './harness/test-stack';

/** The generated OpenAPI document covers every route, and real responses match its object schemas. */
describe('API reference', () => {
  let stack: TestStack;
  let key: string;
  let doc: any;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2 });
    ({ key } = await stack.merchant());
    doc = (await stack.api('GET', '/openapi.json', undefined)).body;
  });
  afterAll(async () => stack?.stop());

  const strictlyMatches = (schema: z.ZodType, body: unknown) => {
    const result = schema.safeParse(body);
    if (!result.success) throw new Error(`${JSON.stringify(result.error.issues)}\n${JSON.stringify(body)}`);
  };

  test('when /openapi.json is fetched without a key, then it is an OpenAPI 3.1 document with webhooks and both signature headers', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    const headers = doc.webhooks['deposit.completed'].post.parameters.map((p: { name: string }) => p.name);
    expect(headers).toEqual(expect.arrayContaining(['X-Webhook-Signature', 'Settle-Signature']));
    const create = doc.paths['/api/v1/invoices'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['amount']);
    expect(doc.paths['/v1/invoices'].post.operationId).not.toBe(create.operationId);
  });

  test('when a create response links to operations on its object, then every link names a real operation and parameter', () => {
    const operations = new Map<string, { parameters?: Array<{ name: string }> }>();
    for (const ops of Object.values(doc.paths as Record<string, Record<string, any>>))
      for (const op of Object.values(ops)) operations.set(op.operationId, op);
    const links = [...operations.values()].flatMap((op: any) =>
      Object.values(op.responses).flatMap((r: any) => Object.values(r.links ?? {})),
    ) as Array<{ operationId: string; parameters: Record<string, string> }>;
    expect(links.length).toBeGreaterThanOrEqual(20);
    for (const link of links) {
      const target = operations.get(link.operationId);
      expect(target).toBeDefined();
      for (const name of Object.keys(link.parameters)) expect(target!.parameters!.map((p) => p.name)).toContain(name);
    }
  });

  test('when /docs is fetched without a key, then it is a self-contained page that loads /openapi.json', async () => {
    const res = await fetch(`${stack.apiUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("fetch('/openapi.json')");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });

  test('when the Express app is walked, then every versioned route is documented and every documented path is served', () => {
    const app = createApp(
      {
        pool: stack.pool,
        temporal: stack.client,
        registry: stack.registry,
        taskQueue: stack.taskQueue,
        monitorWindowSeconds: 60,
      },
      { extraRouters: API_ROUTERS },
    );
    const served = registeredRoutes(app)
      .filter((r) => API_PREFIXES.some((p) => r.path.startsWith(`${p}/`)))
      .map((r) => `${r.method} ${openApiPath(r.path)}`);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(served.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual([...new Set(served)].sort());
  });

  test('when real requests are made, then the responses validate against the published object schemas', async () => {
    const invoice = await stack.api('POST', '/v1/invoices', key, {
      amount: '12.5',
      external_id: 'schema-check',
      metadata: { a: 'b' },
    });
    expect(invoice.status).toBe(201);
    strictlyMatches(Envelope(InvoiceObject), invoice.body);
    strictlyMatches(Envelope(InvoiceObject), (await stack.api('GET', `/v1/invoices/${invoice.body.data.id}`, key)).body);

    const customer = await stack.api('POST', '/api/v1/customers', key, { email: 'a@example.com', name: 'A' });
    strictlyMatches(Envelope(CustomerObject), customer.body);
    strictlyMatches(ListEnvelope(CustomerObject), (await stack.api('GET', '/api/v1/customers?limit=5', key)).body);

    const sim = await stack.api('POST', '/v1/simulate/deposit', key, { invoice_id: invoice.body.data.id });
    expect(sim.status).toBe(202);
    strictlyMatches(Envelope(SimulatedDepositObject), sim.body);
    const paid = await eventually(async () => {
      const r = await stack.api('GET', `/v1/invoices/${invoice.body.data.id}`, key);
      return r.body.data.status === 'paid' ? r.body : undefined;
    }, 'the invoice to be paid');
    strictlyMatches(Envelope(InvoiceObject), paid);
    strictlyMatches(ListEnvelope(InvoiceObject), (await stack.api('GET', '/v1/invoices', key)).body);

    const deposits = await stack.api('GET', '/v1/deposits', key);
    strictlyMatches(ListEnvelope(DepositObject), deposits.body);
    strictlyMatches(Envelope(DepositObject), (await stack.api('GET', `/v1/deposits/${deposits.body.data[0].id}`, key)).body);

    for (const bad of [
      await stack.api('GET', '/v1/invoices/inv_0000000000000000', key),
      await stack.api('POST', '/v1/invoices', key, { amount: 5 }),
      await stack.api('GET', '/v1/invoices', undefined),
    ]) {
      expect(bad.status).toBeGreaterThanOrEqual(400);
      strictlyMatches(ErrorBody, bad.body);
    }
  });

  // Found by scripts/fuzz/run-schemathesis.sh; each was a 500 or a request that never returned.
  test('when a list is filtered by a timestamp PostgreSQL cannot store, then it is a 400, not a 500', async () => {
    for (const q of ['created_gte=13341250684746097552', 'created_lte=999999999999', 'created_gte=0000-01-01T00:00:00Z']) {
      const r = await stack.api('GET', `/v1/invoices?${q}`, key);
      expect(r.status).toBe(400);
      expect(r.body.error.param).toMatch(/^created_/);
    }
  });

  test('when a body string contains a NUL character, then it is refused at once instead of hanging', async () => {
    const r = await stack.api('POST', '/v1/customers', key, { name: 'a\u0000b' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'parameter_invalid', param: 'name' });
    const m = await stack.api('POST', '/v1/invoices', key, { amount: '1', metadata: { 'k\u0000': 'v' } });
    expect(m.status).toBe(400);
  });
});
