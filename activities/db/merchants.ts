import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './pool';
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
  const row = await pool.query<{ account_index: number; derivation_scheme: number }>(
    `INSERT INTO merchants (id, name, underpayment_tolerance_bps, fee_policy, webhook_retry_schedule_seconds, callback_secret, callback_secret_test)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING account_index, derivation_scheme`,
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
  return {
    id,
    accountIndex: row.rows[0]!.account_index,
    derivationScheme: row.rows[0]!.derivation_scheme,
    callbackSecret,
    callbackSecretTest,
  };
}

export interface NewApiKey {
  merchantId: string;
  livemode: boolean;
  scopes: ApiScope[];
  ipAllowlist?: string[];
  description?: string;
}

/** Creates an API key and returns it in full; only its hash is stored, so this is the one chance to see it. */
export async function createApiKey(pool: Pool | PoolClient, k: NewApiKey): Promise<{ id: string; key: string }> {
  const key = generateApiKey(k.livemode);
  const id = randomId('key');
  await pool.query(
    `INSERT INTO api_keys (id, merchant_id, livemode, key_hash, key_prefix, scopes, ip_allowlist, description)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
    [id, k.merchantId, k.livemode, hashApiKey(key), displayPrefix(key), k.scopes, k.ipAllowlist ?? [], k.description ?? null],
  );
  return { id, key };
}

/**
 * Rotation with overlap: a new key with the old one's mode, scopes, allowlist and description, while
 * the old key keeps working until `oldExpiresAt` (now, to cut it off at once).
 */
export async function rotateApiKey(
  pool: Pool,
  keyId: string,
  oldExpiresAt: Date,
): Promise<{ id: string; key: string; replaced: string; replacedExpiresAt: Date }> {
  return inTransaction(pool, async (db) => {
    const old = await db.query<{
      merchant_id: string;
      livemode: boolean;
      scopes: ApiScope[];
      ip_allowlist: string[];
      description: string | null;
    }>(
      'SELECT merchant_id, livemode, scopes, ip_allowlist, description FROM api_keys WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) FOR UPDATE',
      [keyId],
    );
    const row = old.rows[0];
    if (!row) throw new Error(`no active key ${keyId}`);
    await db.query('UPDATE api_keys SET expires_at = $2 WHERE id = $1', [keyId, oldExpiresAt]);
    const created = await createApiKey(db, {
      merchantId: row.merchant_id,
      livemode: row.livemode,
      scopes: row.scopes,
      ipAllowlist: row.ip_allowlist,
      description: row.description ?? undefined,
    });
    return { ...created, replaced: keyId, replacedExpiresAt: oldExpiresAt };
  });
}

export async function revokeApiKey(pool: Pool, keyId: string): Promise<boolean> {
  const r = await pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [keyId]);
  return (r.rowCount ?? 0) > 0;
}

export const MAX_LOGO_BYTES = 100 * 1024;
export type LogoType = 'image/png' | 'image/jpeg' | 'image/webp';

/**
 * The image type of a logo file from its first bytes, not its name. Only raster formats: SVG is
 * refused because it can carry script.
 */
export function logoTypeOf(bytes: Buffer): LogoType | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') {
    return 'image/webp';
  }
  return undefined;
}

export interface MerchantBranding {
  /** Name shown to shoppers; null falls back to the merchant's name. */
  displayName?: string | null;
  /** Logo image, or null to remove it. */
  logo?: { bytes: Buffer; type: LogoType } | null;
}

/** Sets what the checkout page shows of the merchant; fields left undefined keep their value. */
export async function setMerchantBranding(pool: Pool, merchantId: string, b: MerchantBranding): Promise<boolean> {
  const r = await pool.query(
    `UPDATE merchants SET
       display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
       logo = CASE WHEN $4 THEN $5::bytea ELSE logo END,
       logo_type = CASE WHEN $4 THEN $6 ELSE logo_type END
     WHERE id = $1`,
    [
      merchantId,
      b.displayName !== undefined,
      b.displayName ?? null,
      b.logo !== undefined,
      b.logo?.bytes ?? null,
      b.logo?.type ?? null,
    ],
  );
  return (r.rowCount ?? 0) > 0;
}
