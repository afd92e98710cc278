import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DeliveryBacklog } from '../activities/webhooks/delivery-backlog';
import { createDispatchEvent } from '../activities/webhooks/dispatch-event';
import { createStoreEvent } from '../activities/webhooks/publish-event';
import type { PublishEventInput } from '../domain/events';
import { workflowIds } from '../domain/workflow-ids';
import { customerCreatedEvent } from './harness/customer-event';
import { TestStack, eventually } from './harness/test-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';

const SLOTS = 2;

/**
 * Deliveries beyond a merchant's delivery slots wait in PostgreSQL, not as workflows: their queue
 * workflow starts when a slot frees. On a real Temporal server, with a worker whose merchants have
 * two slots each.
 */
describe('webhook delivery backlog', () => {
  let stack: TestStack;
  let receiver: Receiver;
  /** Receiver requests held open, answered when the test says so. */
  const held: Array<() => void> = [];
  let mostAtOnce = 0;
  let open = 0;

  beforeAll(async () => {
    stack = await TestStack.start({ deliveriesPerMerchant: SLOTS });
    receiver = await startReceiver((req, res) => {
      open++;
      mostAtOnce = Math.max(mostAtOnce, open);
      const answer = () => {
        open--;
        res.status(200).send('OK');
      };
      if (req.path.startsWith('/hold')) held.push(answer);
      else answer();
    });
  });
  afterAll(async () => {
    for (const answer of held.splice(0)) answer();
    await receiver?.close();
    await stack?.stop();
  });

  /** A merchant with one endpoint at `path` of the receiver, and a dispatch through the backlog as the worker's. */
  async function merchantWithEndpoint(path: string) {
    const merchant = await stack.merchant();
    const endpoint = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, { url: `${receiver.url}${path}` });
    expect(endpoint.status).toBe(201);
    const backlog = new DeliveryBacklog(stack.pool, stack.client, stack.taskQueue, SLOTS);
    const dispatch = createDispatchEvent(stack.pool, (deliveries) => backlog.enqueue(deliveries));
    const storeEvent = createStoreEvent(stack.pool);
    const publish = async (event: PublishEventInput) => {
      const stored = await storeEvent(event);
      await dispatch(stored.id);
      return stored.id;
    };
    return { merchant, endpointId: endpoint.body.data.id as string, publish };
  }

  const objectId = () => `inv_${randomBytes(12).toString('hex')}`;
  /** An invoice's event at its place in the lifecycle (created 1, paid 2). */
  const invoiceEvent = (merchantId: string, invoiceId: string, type: 'invoice.created' | 'invoice.paid'): PublishEventInput => ({
    ...customerCreatedEvent(merchantId, invoiceId),
    type,
    objectType: 'invoice',
    sequence: type === 'invoice.created' ? 1 : 2,
    data: { id: invoiceId, object: 'invoice' },
  });
  const parkedOf = async (merchantId: string) =>
    (
      await stack.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM webhook_backlog WHERE merchant_id = $1 AND released_at IS NULL',
        [merchantId],
      )
    ).rows[0]!.n;
  const exists = async (workflowId: string) => {
    try {
      await stack.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  const receivedIds = () => new Set(receiver.requests.map((r) => r.eventId));

  test('when a merchant has more deliveries than slots, then only as many queues start as it has slots, and the rest start as slots free, in order', async () => {
    const { merchant, endpointId, publish } = await merchantWithEndpoint('/hold/a');
    const objects = [objectId(), objectId(), objectId(), objectId()];
    const created: string[] = [];
    for (const id of objects) created.push(await publish(invoiceEvent(merchant.id, id, 'invoice.created')));
    const laterOfFirstTwo = [
      await publish(invoiceEvent(merchant.id, objects[0]!, 'invoice.paid')),
      await publish(invoiceEvent(merchant.id, objects[1]!, 'invoice.paid')),
    ];

    // Both slots are taken by receivers that do not answer yet: the other deliveries wait as rows, not workflows.
    await eventually(async () => (held.length === SLOTS ? true : undefined), 'both slots to be in use', 30_000);
    const started = await Promise.all(objects.map((o) => exists(workflowIds.webhookQueue(endpointId, o))));
    expect(started.filter(Boolean)).toHaveLength(SLOTS);
    expect(started).toEqual([true, true, false, false]);
    expect(await parkedOf(merchant.id)).toBe(created.length + laterOfFirstTwo.length - SLOTS);

    // Each answer frees a slot, which releases the oldest parked delivery.
    await eventually(
      async () => {
        for (const answer of held.splice(0)) answer();
        return [...created, ...laterOfFirstTwo].every((id) => receivedIds().has(id)) ? true : undefined;
      },
      'every delivery to arrive',
      60_000,
    );
    for (const answer of held.splice(0)) answer();
    expect(mostAtOnce).toBeLessThanOrEqual(SLOTS);
    // An object's events reach the endpoint in their lifecycle order.
    const order = receiver.requests.map((r) => r.eventId);
    for (const [i, later] of laterOfFirstTwo.entries()) expect(order.indexOf(created[i]!)).toBeLessThan(order.indexOf(later));
    await eventually(async () => ((await parkedOf(merchant.id)) === 0 ? true : undefined), 'the backlog to drain', 30_000);
  });

  test("when no freed slot releases parked deliveries (their holder crashed), then the merchant's backlog workflow releases them", async () => {
    const { merchant, publish } = await merchantWithEndpoint('/ok/b');
    // A crashed worker's leases: nothing will release them, they lapse in 2 s.
    for (let slot = 0; slot < SLOTS; slot++) {
      await stack.pool.query(
        `INSERT INTO webhook_delivery_slots (merchant_id, slot, delivery_id, expires_at) VALUES ($1, $2, $3, now() + interval '2 seconds')`,
        [merchant.id, slot, `whd_crashed_${slot}`],
      );
    }
    const events = [
      await publish(customerCreatedEvent(merchant.id, objectId())),
      await publish(customerCreatedEvent(merchant.id, objectId())),
    ];
    expect(await parkedOf(merchant.id)).toBe(2);
    const owner = stack.client.workflow.getHandle(workflowIds.webhookBacklog(merchant.id));
    expect((await owner.describe()).status.name).toBe('RUNNING');

    await eventually(
      async () => (events.every((id) => receivedIds().has(id)) ? true : undefined),
      'the parked deliveries',
      60_000,
    );
    // Its work done, the owner ends.
    expect(await owner.result()).toBe(2);
  });

  test('when another process is releasing the merchant as deliveries are added, then the publisher waits its turn, and a burst of publishes goes out whole', async () => {
    const { merchant, publish } = await merchantWithEndpoint('/ok/c');
    const lock = await stack.pool.connect();
    let first: Promise<string>;
    try {
      await lock.query('BEGIN');
      await lock.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_backlog:' || $1, 0))`, [merchant.id]);
      let returned = false;
      first = publish(customerCreatedEvent(merchant.id, objectId())).finally(() => (returned = true));
      await eventually(async () => ((await parkedOf(merchant.id)) === 1 ? true : undefined), 'the delivery to be added');
      // Added, and waiting for the other process's release rather than returning before a release has seen it.
      expect(returned).toBe(false);
      await lock.query('COMMIT');
    } finally {
      lock.release();
    }
    // Publishes arriving together in one process share that process's release.
    const burst = await Promise.all(Array.from({ length: 12 }, () => publish(customerCreatedEvent(merchant.id, objectId()))));
    const events = [await first, ...burst];
    await eventually(async () => (events.every((id) => receivedIds().has(id)) ? true : undefined), 'every delivery', 60_000);
    await eventually(async () => ((await parkedOf(merchant.id)) === 0 ? true : undefined), 'the backlog to drain', 30_000);
  });
});
