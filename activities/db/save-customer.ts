import type { Pool } from 'pg';

export interface CustomerRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  email: string | null;
  name: string | null;
  externalId: string | null;
  metadata: Record<string, string>;
}

export function createSaveCustomer(pool: Pool) {
  return async function saveCustomer(c: CustomerRecord): Promise<void> {
    await pool.query(
      `INSERT INTO customers (id, merchant_id, livemode, email, name, external_id, metadata)
       VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO NOTHING`,
      [c.id, c.merchantId, c.livemode, c.email, c.name, c.externalId, c.metadata],
    );
  };
}
