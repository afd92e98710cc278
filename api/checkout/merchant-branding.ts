import type { Pool } from 'pg';

/** What the checkout page shows of the merchant (set with `settle merchant branding`). */
export interface MerchantBranding {
  name: string;
  /** The stored logo as a data: URI, so the page fetches nothing beyond itself. */
  logoDataUri: string | null;
}

export async function readMerchantBranding(pool: Pool, merchantId: string): Promise<MerchantBranding> {
  const row = await pool.query<{ name: string; display_name: string | null; logo: Buffer | null; logo_type: string | null }>(
    'SELECT name, display_name, logo, logo_type FROM merchants WHERE id = $1',
    [merchantId],
  );
  const m = row.rows[0];
  return {
    name: m?.display_name ?? m?.name ?? '',
    logoDataUri: m?.logo && m.logo_type ? `data:${m.logo_type};base64,${m.logo.toString('base64')}` : null,
  };
}
