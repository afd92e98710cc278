import type { PublishEventInput } from '../../domain/events';

/** A test-mode customer.created event of a merchant, as the customer workflow publishes it. */
export function customerCreatedEvent(merchantId: string, objectId: string): PublishEventInput {
  return {
    merchantId,
    livemode: false,
    type: 'customer.created',
    objectType: 'customer',
    objectId,
    sequence: 1,
    data: { id: objectId, object: 'customer' },
  };
}
