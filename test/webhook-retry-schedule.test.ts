import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DeliveryBacklog } from '../activities/webhooks/delivery-backlog';
import { createDispatchEvent } from '../activities/webhooks/dispatch-event';
import { DEFAULT_DELIVERIES_PER_MERCHANT } from '../domain/webhooks';
import { createStoreEvent } from '../activities/webhooks/publish-event';
import { workflowIds } from '../domain/payments';
import { startTimeSkippingServer } from './harness/dev-server';
import { customerCreatedEvent } from './harness/customer-event';
import { TestStack } from './harness/test-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';

/**
 * Retry timing on the time-skipping server: a schedule of days runs in seconds. The gaps are read
 * from the queue workflow's history, which carries workflow time.
 */
describe('webhook retry schedule (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let stack: TestStack;
  let receiver: Receiver;

  beforeAll(async () => {
    env = await startTimeSkippingServer();
    stack = await TestStack.start({ timeSkipping: env });
    receiver = await startReceiver((_req, res) => void res.status(500).send('down for maintenance'));
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
    await env?.teardown();
  });

  /** Publishes an event to a fresh endpoint of a fresh merchant; returns the queue's handle and ids. */
  async function publishToFailingEndpoint(schedule?: number[]) {
    const merchant = await stack.merchant(schedule ? { webhookRetryScheduleSeconds: schedule } : {});
    const created = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, { url: `${receiver.url}/hooks` });
    expect(created.status).toBe(201);
    const objectId = `cus_${randomBytes(12).toString('hex')}`;
    const event = await createStoreEvent(stack.pool)(customerCreatedEvent(merchant.id, objectId));
    const backlog = new DeliveryBacklog(stack.pool, stack.client, stack.taskQueue, DEFAULT_DELIVERIES_PER_MERCHANT);
    const targets = await createDispatchEvent(stack.pool, (deliveries) => backlog.enqueue(deliveries))(event.id);
    expect(targets).toEqual([created.body.data.id]);
    // Time skips only while the test environment's own client awaits a result.
    return { event, handle: env.client.workflow.getHandle(workflowIds.webhookQueue(created.body.data.id, objectId)) };
  }

  /** Workflow-time seconds at which each deliverWebhook attempt was scheduled. */
  async function attemptTimes(handle: ReturnType<typeof env.client.workflow.getHandle>): Promise<number[]> {
    const history = await handle.fetchHistory();
    return (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverWebhook')
      .map((e) => Number(e.eventTime!.seconds) + (e.eventTime!.nanos ?? 0) / 1e9);
  }

  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

  async function deliveryOf(eventId: string) {
    const rows = await stack.pool.query<{ status: string; attempts: number; codes: number[] }>(
      `SELECT d.status, count(a.*)::int AS attempts, array_agg(a.status_code ORDER BY a.attempt) AS codes
       FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.event_id = $1 GROUP BY d.id`,
      [eventId],
    );
    return rows.rows;
  }

  test('when the receiver always answers 500, then it is attempted at +0, +5, +10 and +15 s and the delivery is failed', async () => {
    const { event, handle } = await publishToFailingEndpoint();

    await handle.result(); // the queue completes after its idle wait; time skips through every retry

    const times = await attemptTimes(handle);
    expect(times).toHaveLength(4);
    gaps(times).forEach((gap, i) => {
      const scheduled = [5, 10, 15][i]!;
      expect(gap).toBeGreaterThanOrEqual(scheduled);
      expect(gap).toBeLessThan(scheduled + 3); // the attempt itself takes the rest
    });
    expect(await deliveryOf(event.id)).toEqual([{ status: 'failed', attempts: 4, codes: [500, 500, 500, 500] }]);
    const received = receiver.requests.filter((r) => r.eventId === event.id);
    expect(received).toHaveLength(4);
    expect(new Set(received.map((r) => r.rawBody))).toEqual(new Set([event.body]));
  });

  test('when the merchant schedules retries an hour and a day apart, then the attempts follow that schedule', async () => {
    const { event, handle } = await publishToFailingEndpoint([3600, 86_400]);

    await handle.result();

    const times = await attemptTimes(handle);
    expect(times).toHaveLength(3);
    const [first, second] = gaps(times) as [number, number];
    expect(first).toBeGreaterThanOrEqual(3600);
    expect(first).toBeLessThan(3600 + 3);
    expect(second).toBeGreaterThanOrEqual(86_400);
    expect(second).toBeLessThan(86_400 + 3);
    expect(await deliveryOf(event.id)).toEqual([{ status: 'failed', attempts: 3, codes: [500, 500, 500] }]);
  });
});
