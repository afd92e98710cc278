import type { Pool } from 'pg';
import { createApiKey, createMerchant } from '../../activities/db/merchants';

/** A merchant and a test key with every scope: what `npm start` prints and the cluster bench works as. */
export async function createDevMerchant(pool: Pool, name: string, keyDescription: string) {
  const merchant = await createMerchant(pool, { name });
  const { key } = await createApiKey(pool, {
    merchantId: merchant.id,
    livemode: false,
    scopes: ['read', 'write', 'withdraw', 'webhooks'],
    description: keyDescription,
  });
  return { merchant, key };
}
