import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ms, percentile } from './table';

/** One reported transfer, with wall-clock times so they compare with Temporal's event times. */
export interface TimedDetection {
  depositWorkflowId: string;
  visibleAt: number;
  deliveredAt: number;
}

const { EventType } = temporal.api.enums.v1;

/**
 * Where the time from a visible block to the delivered `deposit.detected` goes, from the deposit
 * workflows' histories: the watcher (head poll, scan, signal-with-start), the deposit's first
 * steps up to its `deposit.detected` event being stored and handed to dispatch, and the delivery
 * (dispatch workflow, delivery workflow and activity, the POST). Medians over the given transfers.
 */
export async function detectionPathProfile(client: Client, detections: TimedDetection[]): Promise<string> {
  const stages = { watcher: [] as number[], deposit: [] as number[], delivery: [] as number[] };
  for (const d of detections) {
    const events = (await client.workflow.getHandle(d.depositWorkflowId).fetchHistory()).events ?? [];
    const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const publish = events.find(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishEvent',
    );
    const published = events.find(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
        String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(publish?.eventId),
    );
    if (!started || !published) continue;
    stages.watcher.push(tsToMs(started.eventTime) - d.visibleAt);
    stages.deposit.push(tsToMs(published.eventTime) - tsToMs(started.eventTime));
    stages.delivery.push(d.deliveredAt - tsToMs(published.eventTime));
  }
  const median = (xs: number[]) => ms(percentile(xs, 50));
  return (
    `detection path, median of ${stages.watcher.length}: block visible to deposit workflow started ${median(stages.watcher)}, ` +
    `to deposit.detected published ${median(stages.deposit)}, to delivered ${median(stages.delivery)}`
  );
}
