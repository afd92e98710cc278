import { type Request, type Response, Router } from 'express';
import { CreateWithdrawalBody, IdParam, ListWithdrawalsQuery } from '../../domain/api-schemas';
import { workflowIds } from '../../domain/payments';
import { withdrawalSnapshotQuery } from '../../domain/withdrawal-messages';
import { type WithdrawalSnapshot, withdrawalObject } from '../../domain/withdrawals';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { readProjection } from '../read-projection';
import { createWithdrawal } from '../use-cases/create-withdrawal';

export function withdrawalsRouter(deps: ApiDeps): Router {
  const router = Router();

  // Seed 000 posts to /withdraw and reads resp['id'] and resp['status'] at the top level; the
  // object is also under `data`, like every other response.
  const create = async (req: Request, res: Response) => {
    const body = parse(CreateWithdrawalBody, req.body ?? {});
    const idempotencyKey = idempotencyKeyOf(req);
    const { snapshot, created, delayed } = await createWithdrawal(deps, authOf(req), body, idempotencyKey);
    // Not the final answer: a retry with the key must find the decided withdrawal, not replay this.
    if (delayed) res.locals.idempotentProvisional = true;
    const object = withdrawalObject(snapshot);
    res.status(delayed ? 202 : created ? 201 : 200).json({ ...object, data: object });
  };
  const once = idempotent(deps, 'withdrawals.create');
  router.post('/withdraw', requireScope('withdraw'), once, create);
  router.post('/withdrawals', requireScope('withdraw'), once, create);

  router.get('/withdrawals/:id', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const id = parse(IdParam, req.params.id, 'id');
    const snapshot = await readWithdrawal(deps, id);
    if (!snapshot || snapshot.merchantId !== auth.merchantId || snapshot.livemode !== auth.livemode) {
      throw ApiError.notFound('withdrawal');
    }
    // A refused request left no withdrawal, unless it was announced as pending (a 202) first.
    if (snapshot.status === 'rejected' && !(await readProjection(deps.pool, 'withdrawals', id))) {
      throw ApiError.notFound('withdrawal');
    }
    res.json({ data: withdrawalObject(snapshot) });
  });

  router.get('/withdrawals', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListWithdrawalsQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const conditions = ['merchant_id = $1', 'livemode = $2'];
    if (q.status) conditions.push(`status = $${params.push(q.status)}`);
    const tail = pageQuery(q, conditions, params);
    const rows = await deps.pool.query<{ id: string; created_at: Date; snapshot: WithdrawalSnapshot }>(
      `SELECT id, created_at, snapshot FROM withdrawals ${tail}`,
      params,
    );
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map((r) => withdrawalObject(r.snapshot)) });
  });

  return router;
}

async function readWithdrawal(deps: ApiDeps, id: string): Promise<WithdrawalSnapshot | undefined> {
  try {
    return await deps.temporal.workflow.getHandle(workflowIds.withdrawal(id)).query(withdrawalSnapshotQuery);
  } catch {
    // No such workflow (or its history was archived): the projection is the record.
    const row = await deps.pool.query<{ snapshot: WithdrawalSnapshot }>('SELECT snapshot FROM withdrawals WHERE id = $1', [id]);
    return row.rows[0]?.snapshot;
  }
}
