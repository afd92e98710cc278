import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../../domain/api-key';
import type { ApiScope } from '../../domain/api-schemas';
import type { FeePolicy } from '../../domain/fees';
import { randomId } from '../../domain/ids';

export interface NewMerchant {
  name: string;
  underpaymentToleranceBps?: number;
  feePolicy?: FeePolicy;
  webhookRetryScheduleSeconds?: number[];
}

/**
 * Creates a merchant. Its HD wallet exists from this moment: the row's account index fixes the
 * BIP44 account every one of its addresses is derived under.
 */
export async function createMerchant(pool: Pool, m: NewMerchant) {
  const id = randomId('mer');
  const callbackSecret = `whsec_${randomBytes(24).toString('hex')}`;
  const callbackSecretTest = `whsec_test_${randomBytes(24).toString('hex')}`;
  const row = await pool.query<{ account_index: number }>(
    `INSERT INTO merchants (id, name, underpayment_tolerance_bps, fee_policy, webhook_retry_schedule_seconds, callback_secret, callback_secret_test)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING account_index`,
    [
      id,
      m.name,
      m.underpaymentToleranceBps ?? 0,
      m.feePolicy ?? { type: 'none' },
      m.webhookRetryScheduleSeconds ?? [5, 10, 15],
      callbackSecret,
      callbackSecretTest,
    ],
  );
  return { id, accountIndex: row.rows[0]!.account_index, callbackSecret, callbackSecretTest };
}

export interface NewApiKey {
  merchantId: string;
  livemode: boolean;
  scopes: ApiScope[];
  ipAllowlist?: string[];
  description?: string;
}

/** Creates an API key and returns it in full; only its hash is stored, so this is the one chance to see it. */
export async function createApiKey(pool: Pool, k: NewApiKey): Promise<{ id: string; key: string }> {
  const key = generateApiKey(k.livemode);
  const id = randomId('key');
  await pool.query(
    `INSERT INTO api_keys (id, merchant_id, livemode, key_hash, key_prefix, scopes, ip_allowlist, description)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
    [id, k.merchantId, k.livemode, hashApiKey(key), displayPrefix(key), k.scopes, k.ipAllowlist ?? [], k.description ?? null],
  );
  return { id, key };
}

export async function revokeApiKey(pool: Pool, keyId: string): Promise<boolean> {
  const r = await pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [keyId]);
  return (r.rowCount ?? 0) > 0;
}
