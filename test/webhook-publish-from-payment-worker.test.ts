import { randomBytes } from 'node:crypto';
import { createActivities } from '../activities';
import { ChainProviders } from '../activities/chain/providers';
import { HdWallet } from '../activities/wallet/hd-wallet';
import { workflowIds } from '../domain/payments';
import { customerCreatedEvent } from './harness/customer-event';
import { TestStack, eventually } from './harness/test-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';

/**
 * Payments and webhook deliveries may run in different worker processes (npm start and the compose
 * file split them). The publishing process never sees a delivery take or free a merchant's slot:
 * a burst past the merchant's slots waits in the backlog, and the delivering process's freed slots
 * must release it. Once, the publisher's own bookkeeping delayed every queue past the merchant's
 * eighth by a second or more; no queue may start delayed.
 */
describe('publishing from a process that delivers nothing', () => {
  let stack: TestStack;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await TestStack.start();
    receiver = await startReceiver((_req, res) => void res.status(200).send('ok'));
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  test('when a payment worker publishes a burst of one merchant’s events past its slots, then every event arrives, and no queue starts delayed', async () => {
    const merchant = await stack.merchant();
    const endpoint = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, { url: `${receiver.url}/hooks` });
    expect(endpoint.status).toBe(201);
    // A second process's activities: the stack's worker delivers, this one only publishes.
    const chains = new ChainProviders(stack.registry);
    const publisher = createActivities({
      pool: stack.pool,
      registry: stack.registry,
      chains,
      wallet: new HdWallet(undefined),
      client: stack.client,
      taskQueue: stack.taskQueue,
    });
    try {
      const objects = Array.from({ length: 20 }, () => `cus_${randomBytes(12).toString('hex')}`);
      const events = new Set(
        await Promise.all(objects.map((objectId) => publisher.publishEvent(customerCreatedEvent(merchant.id, objectId)))),
      );
      await eventually(
        async () => (new Set(receiver.requests.map((r) => r.eventId)).size === events.size ? true : undefined),
        'every event to arrive',
        60_000,
      );
      for (const objectId of objects) {
        const history = await stack.client.workflow
          .getHandle(workflowIds.webhookQueue(endpoint.body.data.id, objectId))
          .fetchHistory();
        const backoff = history.events![0]!.workflowExecutionStartedEventAttributes!.firstWorkflowTaskBackoff;
        const delayedMs = Number(backoff?.seconds ?? 0) * 1000 + (backoff?.nanos ?? 0) / 1e6;
        expect({ objectId, delayedMs }).toEqual({ objectId, delayedMs: 0 });
      }
    } finally {
      chains.destroy();
    }
  });
});
