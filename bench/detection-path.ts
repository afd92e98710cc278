import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Pool } from 'pg';
import { ms, percentile } from './table';

/** One reported transfer, with wall-clock times so they compare with Temporal's and PostgreSQL's. */
export interface TimedDetection {
  depositWorkflowId: string;
  visibleAt: number;
  deliveredAt: number;
}

const { EventType } = temporal.api.enums.v1;

/**
 * Where the time from a visible block to the delivered `deposit.detected` goes: the watcher (head
 * poll, scan, signal-with-start) up to the deposit workflow's start in its history; the deposit's
 * first steps up to its event being stored (the events row); and the delivery (dispatch, delivery
 * workflow and attempt, the POST). Medians over the given transfers.
 */
export async function detectionPathProfile(client: Client, databaseUrl: string, detections: TimedDetection[]): Promise<string> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const stages = { watcher: [] as number[], deposit: [] as number[], delivery: [] as number[] };
  try {
    for (const d of detections) {
      const events = (await client.workflow.getHandle(d.depositWorkflowId).fetchHistory()).events ?? [];
      const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
      const stored = await pool.query<{ at: Date }>(
        "SELECT created_at AS at FROM events WHERE object_id = $1 AND type = 'deposit.detected' ORDER BY created_at LIMIT 1",
        [d.depositWorkflowId],
      );
      if (!started || !stored.rows[0]) continue;
      const storedAt = stored.rows[0].at.getTime();
      stages.watcher.push(tsToMs(started.eventTime) - d.visibleAt);
      stages.deposit.push(storedAt - tsToMs(started.eventTime));
      stages.delivery.push(d.deliveredAt - storedAt);
    }
  } finally {
    await pool.end();
  }
  const median = (xs: number[]) => ms(percentile(xs, 50));
  return (
    `detection path, median of ${stages.watcher.length}: block visible to deposit workflow started ${median(stages.watcher)}, ` +
    `to deposit.detected stored ${median(stages.deposit)}, to delivered ${median(stages.delivery)}`
  );
}
