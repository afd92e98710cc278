import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { getAddress } from 'ethers';
import { Router } from 'express';
import { CreateCustomerBody, IdParam, ListQuery } from '../../domain/api-schemas';
import { derivedId, randomId } from '../../domain/ids';
import { workflowIds } from '../../domain/payments';
import { SA } from '../../domain/search-attributes';
import { authOf, requireScope } from '../auth';
import { awaitWorkflow } from '../await-workflow';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { paymentTaskQueue } from '../../domain/task-queues';
import { requireUnderCap } from '../object-caps';

interface CustomerRow {
  id: string;
  livemode: boolean;
  email: string | null;
  name: string | null;
  external_id: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  addresses: Array<{ network: string; address: string }> | null;
}

const SELECT_CUSTOMER = `SELECT c.*, (SELECT json_agg(json_build_object('network', a.network, 'address', a.address) ORDER BY a.network)
  FROM addresses a WHERE a.owner_type = 'customer' AND a.owner_id = c.id) AS addresses FROM customers c`;

export function customersRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/customers', requireScope('write'), idempotent(deps, 'customers.create'), async (req, res) => {
    const auth = authOf(req);
    const body = parse(CreateCustomerBody, req.body ?? {});
    const key = idempotencyKeyOf(req);
    const id = key ? derivedId('cus', auth.merchantId, String(auth.livemode), key) : randomId('cus');
    const known = key && (await deps.pool.query('SELECT 1 FROM customers WHERE id = $1', [id])).rowCount;
    if (!known) await requireUnderCap(deps, auth, 'testCustomers');
    const handle = await deps.temporal.workflow.start('customerWorkflow', {
      workflowId: workflowIds.customer(id),
      taskQueue: paymentTaskQueue(deps.taskQueue, auth.livemode),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Customer ${body.email ?? body.name ?? id}`,
      typedSearchAttributes: [
        { key: SA.merchantId, value: auth.merchantId },
        { key: SA.livemode, value: auth.livemode },
        ...(body.external_id ? [{ key: SA.externalId, value: body.external_id }] : []),
      ],
      args: [
        {
          id,
          merchantId: auth.merchantId,
          livemode: auth.livemode,
          email: body.email ?? null,
          name: body.name ?? null,
          externalId: body.external_id ?? null,
          metadata: body.metadata ?? {},
          networks: deps.registry.forMode(auth.livemode).map((n) => n.id),
        },
      ],
    });
    await awaitWorkflow(deps, () => handle.result());
    res.status(201).json({ data: await readCustomer(deps, auth.merchantId, auth.livemode, id) });
  });

  router.get('/customers/:id', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const customer = await readCustomer(deps, auth.merchantId, auth.livemode, parse(IdParam, req.params.id, 'id'));
    if (!customer) throw ApiError.notFound('customer');
    res.json({ data: customer });
  });

  router.get('/customers', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const tail = pageQuery(q, ['c.merchant_id = $1', 'c.livemode = $2'], params, 'c.');
    const rows = await deps.pool.query<CustomerRow>(`${SELECT_CUSTOMER} ${tail}`, params);
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map(customerObject) });
  });

  return router;
}

async function readCustomer(deps: ApiDeps, merchantId: string, livemode: boolean, id: string) {
  const row = await deps.pool.query<CustomerRow>(
    `${SELECT_CUSTOMER} WHERE c.id = $1 AND c.merchant_id = $2 AND c.livemode = $3`,
    [id, merchantId, livemode],
  );
  return row.rows[0] && customerObject(row.rows[0]);
}

function customerObject(r: CustomerRow) {
  return {
    id: r.id,
    object: 'customer' as const,
    livemode: r.livemode,
    email: r.email,
    name: r.name,
    external_id: r.external_id,
    metadata: r.metadata,
    addresses: (r.addresses ?? []).map((a) => ({ network: a.network, address: getAddress(a.address) })),
    created_at: new Date(r.created_at).toISOString(),
  };
}
