import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ms, percentile } from './table';

/** One timed `POST /v1/invoices`: wall-clock times, so they compare with Temporal's event times. */
export interface TimedCreate {
  invoiceId: string;
  sentAt: number;
  answeredAt: number;
}

const { EventType } = temporal.api.enums.v1;

/**
 * Where a create's time goes, from its workflow's history: the API before the start reaches
 * Temporal, the server handing the first task to the worker, the worker's first task (address
 * allocation and the projection write run in it as local activities), and the update's answer back
 * through the server and the API. Medians over the given creates.
 */
export async function createPathProfile(client: Client, creates: TimedCreate[]): Promise<string> {
  const stages = { api: [] as number[], dispatch: [] as number[], worker: [] as number[], answer: [] as number[] };
  for (const c of creates) {
    const history = await client.workflow.getHandle(`invoice-${c.invoiceId}`).fetchHistory();
    const at = (type: number) => {
      const event = history.events?.find((e) => e.eventType === type);
      return event ? tsToMs(event.eventTime) : undefined;
    };
    const started = at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const taskStarted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const taskCompleted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    if (started === undefined || taskStarted === undefined || taskCompleted === undefined) continue;
    stages.api.push(started - c.sentAt);
    stages.dispatch.push(taskStarted - started);
    stages.worker.push(taskCompleted - taskStarted);
    stages.answer.push(c.answeredAt - taskCompleted);
  }
  const median = (xs: number[]) => ms(percentile(xs, 50));
  return (
    `create path, median of ${stages.api.length}: API to workflow start ${median(stages.api)}, ` +
    `server to worker ${median(stages.dispatch)}, first workflow task (local activities) ${median(stages.worker)}, ` +
    `task done to client answered ${median(stages.answer)}`
  );
}
