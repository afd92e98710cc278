import type { Pool } from 'pg';

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  livemode: boolean;
  target_type: 'endpoint' | 'callback';
  endpoint_id: string | null;
  url: string;
  status: string;
  attempt_count: number;
  next_attempt_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
  attempts: Array<{
    attempt: number;
    attempted_at: string;
    succeeded: boolean;
    status_code: number | null;
    latency_ms: number;
    error: string | null;
    response_snippet: string | null;
  }> | null;
}

/** Deliveries with every attempt, oldest attempt first. `where` is written against `d.` (webhook_deliveries). */
export const SELECT_DELIVERIES = `SELECT d.*, e.type AS event_type,
  (SELECT json_agg(json_build_object('attempt', a.attempt, 'attempted_at', a.attempted_at, 'succeeded', a.succeeded,
     'status_code', a.status_code, 'latency_ms', a.latency_ms, 'error', a.error, 'response_snippet', a.response_snippet) ORDER BY a.attempt)
   FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
  FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`;

export async function deliveriesOfEvent(pool: Pool, eventId: string) {
  const rows = await pool.query<DeliveryRow>(`${SELECT_DELIVERIES} WHERE d.event_id = $1 ORDER BY d.created_at, d.id`, [eventId]);
  return rows.rows.map(deliveryObject);
}

export function deliveryObject(r: DeliveryRow) {
  return {
    id: r.id,
    object: 'webhook_delivery' as const,
    livemode: r.livemode,
    event_id: r.event_id,
    event_type: r.event_type,
    target: r.target_type,
    endpoint_id: r.endpoint_id,
    url: r.url,
    status: r.status,
    attempt_count: r.attempt_count,
    next_attempt_at: r.next_attempt_at && new Date(r.next_attempt_at).toISOString(),
    created_at: new Date(r.created_at).toISOString(),
    completed_at: r.completed_at && new Date(r.completed_at).toISOString(),
    attempts: (r.attempts ?? []).map((a) => ({ ...a, attempted_at: new Date(a.attempted_at).toISOString() })),
  };
}
export type { DeliveryRow };
