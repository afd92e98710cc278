import { randomBytes } from 'node:crypto';
import { createActivities } from '../activities';
import { ChainProviders } from '../activities/chain/providers';
import { HdWallet } from '../activities/wallet/hd-wallet';
import { workflowIds } from '../domain/payments';
import { customerCreatedEvent } from './harness/customer-event';
import { TestStack } from './harness/test-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';

/**
 * Payments and webhook deliveries may run in different worker processes (npm start and the compose
 * file split them). The publishing process never sees a delivery take or free a merchant's slot, so
 * its own bookkeeping must not delay the queues it starts: once it did, every event past the
 * merchant's eighth in a few seconds waited a second or more before its first attempt.
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

  test('when a payment worker publishes a burst of one merchant’s events, then every delivery queue starts at once', async () => {
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
      for (const objectId of objects) {
        await publisher.publishEvent(customerCreatedEvent(merchant.id, objectId));
      }
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
