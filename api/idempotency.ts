import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { AuthContext } from './auth';
import { workflowWaitMs } from './await-workflow';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

/** How long the first answer to an Idempotency-Key is replayed (Stripe's window). */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
const MAX_KEY_LENGTH = 255;
/** A request that holds a key this long without answering is presumed dead; another may take over. */
const LOCK_SECONDS = 60;
/**
 * A retry waiting on its first attempt asks again after 50 ms, then less and less often. At a
 * fixed 50 ms, in the 30-minute soak, clients retrying slow creates kept the API's ten database
 * connections busy with these two queries alone, and every other request queued behind them.
 */
const FIRST_WAIT_MS = 50;
const MAX_WAIT_MS = 500;

interface IdempotentSnapshot {
  merchantId: string;
  livemode: boolean;
  requestFingerprint: string;
}

/**
 * A retried create request lands on the object the first request made. It answers only if the
 * object is the caller's and was made by the same request; otherwise the key (or external_id) was
 * reused for something else, a 409.
 */
export function requireSameRequest(
  snapshot: IdempotentSnapshot,
  auth: AuthContext,
  fingerprint: string,
  conflict: { code: string; message: string; param?: string },
): void {
  if (
    snapshot.merchantId === auth.merchantId &&
    snapshot.livemode === auth.livemode &&
    snapshot.requestFingerprint === fingerprint
  ) {
    return;
  }
  throw new ApiError(409, 'idempotency_error', conflict.code, conflict.message, conflict.param);
}

/** The request's Idempotency-Key; a key longer than 255 characters is refused, never truncated. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw ApiError.invalid(
      'idempotency_key_invalid',
      `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters long`,
      'Idempotency-Key',
    );
  }
  return key;
}

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` fingerprint alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What a key is bound to: the operation (the same under `/v1` and `/api/v1`, and for `/withdraw`
 * and `/withdrawals`) and the body, independent of JSON key order.
 */
export function requestFingerprint(operation: string, body: unknown): string {
  return createHash('sha256')
    .update(`${operation}\u0000${canonicalJson(body)}`)
    .digest('hex');
}

interface StoredRow {
  fingerprint: string;
  status: number | null;
  body: string | null;
}

/**
 * Stripe's idempotency for one creating POST: the first request with a key runs and its 2xx answer
 * is stored; within the window every retry gets that same status and body with
 * `Idempotent-Replayed: true`, and a retry with another body (or on another operation) gets 409.
 * Concurrent retries wait for the first to finish, so all of them answer alike. Failures are not
 * stored: a retry runs again (the operations beneath are idempotent by their derived ids).
 */
export function idempotent(deps: ApiDeps, operation: string): RequestHandler {
  const { pool } = deps;
  return async (req, res, next) => {
    const key = idempotencyKeyOf(req);
    if (key === undefined) return next();
    const auth = req.auth;
    if (!auth) throw new Error('idempotent() mounted without authenticate()');
    const scope = [auth.merchantId, auth.livemode, key] as const;
    const fingerprint = requestFingerprint(operation, { params: req.params, body: req.body ?? {} });

    // A concurrent first request answers within its own workflow wait; a little longer covers it.
    const deadline = Date.now() + workflowWaitMs(deps) + 5_000;
    // A client that timed out and retried has left this request waiting on its first attempt; once it
    // is gone nobody reads the answer, so the wait stops (the first attempt still finishes its work).
    let clientGone = false;
    res.once('close', () => (clientGone = true));
    for (let pause = FIRST_WAIT_MS; ; pause = Math.min(pause * 2, MAX_WAIT_MS)) {
      if (clientGone) return;
      if (await claim(pool, scope, fingerprint)) break;
      const stored = await read(pool, scope);
      if (!stored) continue; // released by a failed first request: claim it
      if (stored.fingerprint !== fingerprint) {
        throw new ApiError(
          409,
          'idempotency_error',
          'idempotency_key_reused',
          'This Idempotency-Key was already used with different parameters or on another operation',
          'Idempotency-Key',
        );
      }
      if (stored.status !== null) return replay(res, stored.status, stored.body ?? 'null');
      if (Date.now() > deadline) {
        throw new ApiError(
          409,
          'idempotency_error',
          'idempotency_request_in_progress',
          'A request with this Idempotency-Key is still being processed; retry later',
          'Idempotency-Key',
        );
      }
      await new Promise((r) => setTimeout(r, pause));
    }

    const release = () =>
      pool.query('DELETE FROM idempotent_requests WHERE merchant_id = $1 AND livemode = $2 AND key = $3 AND status IS NULL', [
        ...scope,
      ]);
    // Only a final 2xx is kept; anything else frees the key so a retry runs again.
    const final = () => res.statusCode >= 200 && res.statusCode < 300 && res.locals.idempotentProvisional !== true;
    res.on('close', () => {
      if (!final()) void release().catch(() => undefined);
    });
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (!final()) return send(body);
      const text = JSON.stringify(body);
      pool
        .query(`UPDATE idempotent_requests SET status = $4, body = $5 WHERE merchant_id = $1 AND livemode = $2 AND key = $3`, [
          ...scope,
          res.statusCode,
          text,
        ])
        .then(
          () => res.type('application/json').send(text),
          (err: unknown) => next(err),
        );
      return res;
    };
    next();
  };
}

/** Takes the key for this request: a fresh key, an expired one, or one whose holder died. */
async function claim(pool: Pool, scope: readonly [string, boolean, string], fingerprint: string): Promise<boolean> {
  const row = await pool.query(
    `INSERT INTO idempotent_requests (merchant_id, livemode, key, fingerprint, locked_until)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
     ON CONFLICT (merchant_id, livemode, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, status = NULL, body = NULL, locked_until = EXCLUDED.locked_until, created_at = now()
       WHERE idempotent_requests.created_at < now() - make_interval(hours => $6)
          OR (idempotent_requests.status IS NULL AND idempotent_requests.locked_until < now()
              AND idempotent_requests.fingerprint = EXCLUDED.fingerprint)
     RETURNING 1`,
    [...scope, fingerprint, LOCK_SECONDS, IDEMPOTENCY_WINDOW_HOURS],
  );
  if (!row.rowCount) return false;
  // Keys past the window are never replayed again; dropping them here needs no scheduler.
  await pool.query('DELETE FROM idempotent_requests WHERE created_at < now() - make_interval(hours => $1)', [
    IDEMPOTENCY_WINDOW_HOURS,
  ]);
  return true;
}

async function read(pool: Pool, scope: readonly [string, boolean, string]): Promise<StoredRow | undefined> {
  const row = await pool.query<StoredRow>(
    'SELECT fingerprint, status, body FROM idempotent_requests WHERE merchant_id = $1 AND livemode = $2 AND key = $3',
    [...scope],
  );
  return row.rows[0];
}

function replay(res: Response, status: number, body: string): void {
  res.status(status).set('Idempotent-Replayed', 'true').type('application/json').send(body);
}
