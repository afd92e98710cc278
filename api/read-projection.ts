import type { Pool } from 'pg';

/**
 * The stored snapshot of an object whose workflow already ran. Creation endpoints check it before
 * starting a workflow: once Temporal's retention has dropped a finished workflow, starting one
 * with the same id would otherwise create (and pay, or send) the object a second time.
 */
export async function readProjection<T>(pool: Pool, table: 'invoices' | 'withdrawals', id: string): Promise<T | undefined> {
  const row = await pool.query<{ snapshot: T }>(`SELECT snapshot FROM ${table} WHERE id = $1`, [id]);
  return row.rows[0]?.snapshot;
}
