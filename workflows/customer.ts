import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CustomerRecord } from '../activities/db/save-customer';

const { allocateAddress, saveCustomer, publishEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface CustomerInput extends CustomerRecord {
  networks: string[];
}

/** Creates a customer with one permanent address registered on every network of its mode. */
export async function customerWorkflow(input: CustomerInput): Promise<{ address: string }> {
  const { networks, ...customer } = input;
  await saveCustomer(customer);
  const address = await allocateAddress({
    merchantId: input.merchantId,
    livemode: input.livemode,
    ownerType: 'customer',
    ownerId: input.id,
    networks,
  });
  await publishEvent({
    merchantId: input.merchantId,
    livemode: input.livemode,
    type: 'customer.created',
    objectType: 'customer',
    objectId: input.id,
    sequence: 1,
    data: {
      id: input.id,
      object: 'customer',
      livemode: input.livemode,
      email: input.email,
      name: input.name,
      external_id: input.externalId,
      metadata: input.metadata,
      addresses: networks.map((network) => ({ network, address })),
    },
  });
  return { address };
}
