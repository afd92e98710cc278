import { Wallet } from 'ethers';
import { createApiKey } from '../activities/db/merchants';
import type { ApiScope } from '../domain/api-schemas';
import { TestStack, eventually } from './harness/test-stack';

interface Route {
  method: string;
  /** OpenAPI path, e.g. `/api/v1/invoices/{id}`. */
  path: string;
  scopes: ApiScope[];
}

const ALL_SCOPES: ApiScope[] = ['read', 'write', 'webhooks', 'withdraw'];

/**
 * Every route of the OpenAPI document × key mode × scope × merchant × IP allowlist. Merchant A owns
 * test-mode objects whose ids and secrets are markers: no response to anyone else (another merchant,
 * A's live key, a key outside its allowlist, a key without `read`) may contain one.
 */
describe('authorization matrix', () => {
  let stack: TestStack;
  let routes: Route[];
  let owner: { id: string; key: string };
  const objects: Record<string, string> = {};
  let markers: string[];

  beforeAll(async () => {
    stack = await TestStack.start();
    owner = await stack.merchant();
    const doc = (await stack.api('GET', '/openapi.json', undefined)).body;
    routes = Object.entries(doc.paths as Record<string, Record<string, { 'x-settle-scopes': ApiScope[] }>>).flatMap(
      ([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, scopes: op['x-settle-scopes'] })),
    );

    const email = 'matrix-secret@example.com';
    const customer = await stack.api('POST', '/v1/customers', owner.key, { email });
    const invoice = await stack.api('POST', '/v1/invoices', owner.key, { amount: '3', external_id: 'matrix-order' });
    const endpoint = await stack.api('POST', '/v1/webhook-endpoints', owner.key, { url: 'http://127.0.0.1:9/matrix' });
    const event = await eventually(async () => {
      const r = await stack.pool.query<{ id: string }>('SELECT id FROM events WHERE merchant_id = $1 LIMIT 1', [owner.id]);
      return r.rows[0];
    }, 'an event of the owner');
    Object.assign(objects, {
      customer: customer.body.data.id,
      invoice: invoice.body.data.id,
      endpoint: endpoint.body.data.id,
      event: event.id,
    });
    markers = [email, invoice.body.data.deposit_address, endpoint.body.data.secret, 'matrix-order', ...Object.values(objects)];
    expect(markers.every(Boolean)).toBe(true);
  });
  afterAll(async () => stack?.stop());

  /** The route's path with A's object of the right kind in it. */
  const concrete = (route: Route): string =>
    route.path.replace('{id}', () => {
      if (route.path.includes('/invoices/')) return objects.invoice!;
      if (route.path.includes('/customers/')) return objects.customer!;
      if (route.path.includes('/webhook-endpoints/')) return objects.endpoint!;
      if (route.path.includes('/events/')) return objects.event!;
      if (route.path.includes('/withdrawals/')) return 'wd_000000000000000000000000';
      if (route.path.includes('/payouts/')) return 'po_000000000000000000000000';
      if (route.path.includes('/refunds/')) return 're_000000000000000000000000';
      return `deposit-local-0x${'0'.repeat(64)}-0`;
    });

  /** A valid body, so an authorized request gets past validation to the data. */
  const bodyFor = (route: Route): unknown => {
    if (route.method === 'GET' || route.method === 'DELETE') return undefined;
    if (route.path.endsWith('/invoices')) return { amount: '1' };
    if (route.path.endsWith('/simulate/deposit')) return { invoice_id: objects.invoice, amount: '0.5' };
    if (route.path.endsWith('/withdraw') || route.path.endsWith('/withdrawals'))
      return { amount: '1', to_address: Wallet.createRandom().address };
    if (route.path.endsWith('/payouts')) return { items: [{ amount: '1', to_address: Wallet.createRandom().address }] };
    if (route.path.endsWith('/refunds')) return { amount: '1', to_address: Wallet.createRandom().address };
    if (route.path.endsWith('/webhook-endpoints')) return { url: 'http://127.0.0.1:9/other' };
    if (route.path.endsWith('/webhook-endpoints/{id}')) return { description: 'changed' };
    return {};
  };

  const call = (route: Route, key: string | undefined) => stack.api(route.method, concrete(route), key, bodyFor(route));

  const expectNoMarkers = (route: Route, body: unknown, who: string) => {
    const text = JSON.stringify(body);
    const leaked = markers.filter((m) => text.includes(m));
    if (leaked.length) throw new Error(`${who} got ${leaked.join(', ')} from ${route.method} ${route.path}`);
  };

  const nonMutating = (r: Route) => r.method === 'GET';

  test('when the document is read, then it lists every route with the scopes it needs', () => {
    expect(routes.length).toBeGreaterThanOrEqual(50);
    for (const r of routes) expect(r.scopes.length).toBeGreaterThan(0);
  });

  test('when no key or a key outside its IP allowlist is used, then every route refuses before touching data', async () => {
    const fenced = await createApiKey(stack.pool, {
      merchantId: owner.id,
      livemode: false,
      scopes: ALL_SCOPES,
      ipAllowlist: ['10.0.0.0/8'],
    });
    for (const route of routes) {
      const anonymous = await call(route, undefined);
      expect([route.path, anonymous.status, anonymous.body.error?.code]).toEqual([route.path, 401, 'missing_api_key']);
      const outside = await call(route, fenced.key);
      expect([route.path, outside.status, outside.body.error?.code]).toEqual([route.path, 403, 'ip_not_allowed']);
    }
  });

  test.each([
    ['another merchant, test mode', false, false],
    ['another merchant, live mode', true, false],
    ["the owner's live key", true, true],
  ])(
    'when %s uses every route with every scope, then nothing of the owner is ever seen',
    async (_who, livemode, sameMerchant) => {
      const merchantId = sameMerchant ? owner.id : (await stack.merchant()).id;
      const { key } = await createApiKey(stack.pool, { merchantId, livemode, scopes: ALL_SCOPES });
      for (const route of routes) {
        const res = await call(route, key);
        expect([route.method, route.path, res.status < 500]).toEqual([route.method, route.path, true]);
        expectNoMarkers(route, res.body, _who);
        if (route.path.includes('{id}') && !route.path.endsWith('/deposits/{id}') && !route.path.endsWith('/withdrawals/{id}')) {
          expect([route.method, route.path, res.status]).toEqual([route.method, route.path, 404]);
        }
      }
    },
  );

  test.each(ALL_SCOPES.map((s) => [s]))(
    "when the owner's key has only the %s scope, then exactly the routes needing only it pass, and without read nothing leaks",
    async (scope) => {
      const { key } = await createApiKey(stack.pool, { merchantId: owner.id, livemode: false, scopes: [scope] });
      let seen = 0;
      for (const route of routes.filter(nonMutating).concat(routes.filter((r) => !nonMutating(r) && r.method !== 'DELETE'))) {
        const res = await call(route, key);
        const allowed = route.scopes.every((s) => s === scope);
        const label = [route.method, route.path];
        if (allowed) {
          expect([...label, res.status < 500 && res.body.error?.code !== 'insufficient_scope']).toEqual([...label, true]);
        } else {
          expect([...label, res.status, res.body.error?.code]).toEqual([...label, 403, 'insufficient_scope']);
        }
        // A key that cannot read gets back nothing it did not send itself.
        if (scope !== 'read' && !(scope === 'webhooks' && allowed)) expectNoMarkers(route, res.body, `a ${scope}-only key`);
        if (markers.some((m) => JSON.stringify(res.body).includes(m))) seen += 1;
      }
      // The control: the markers are found where a key may read them.
      if (scope === 'read') expect(seen).toBeGreaterThan(5);
    },
  );

  test('when a route needs several scopes, then a key with all of them passes and one missing any is refused', async () => {
    const multi = routes.filter((r) => r.scopes.length > 1);
    expect(multi.length).toBeGreaterThan(0);
    const full = await createApiKey(stack.pool, { merchantId: owner.id, livemode: false, scopes: ALL_SCOPES });
    for (const route of multi) {
      expect((await call(route, full.key)).body.error?.code).not.toBe('insufficient_scope');
      for (const missing of route.scopes) {
        const { key } = await createApiKey(stack.pool, {
          merchantId: owner.id,
          livemode: false,
          scopes: ALL_SCOPES.filter((s) => s !== missing),
        });
        expect((await call(route, key)).body.error?.code).toBe('insufficient_scope');
      }
    }
  });

  test('when the owner deletes with and without the webhooks scope, then only the webhooks key can', async () => {
    const deletes = routes.filter((r) => r.method === 'DELETE');
    expect(deletes.length).toBe(2);
    const writer = await createApiKey(stack.pool, { merchantId: owner.id, livemode: false, scopes: ['read', 'write'] });
    const manager = await createApiKey(stack.pool, { merchantId: owner.id, livemode: false, scopes: ['webhooks'] });
    for (const route of deletes) expect((await call(route, writer.key)).body.error?.code).toBe('insufficient_scope');
    expect((await call(deletes[0]!, manager.key)).status).toBe(200);
    expect((await call(deletes[1]!, manager.key)).status).toBe(404);
  });
});
