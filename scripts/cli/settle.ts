import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { z } from 'zod';
import { migrate } from '../../activities/db/migrate';
import {
  createApiKey,
  createMerchant,
  logoTypeOf,
  MAX_LOGO_BYTES,
  revokeApiKey,
  rotateApiKey,
  setMerchantBranding,
} from '../../activities/db/merchants';
import { createPool } from '../../activities/db/pool';
import { ApiScope } from '../../domain/api-schemas';
import { toBaseUnits } from '../../domain/money';

const USAGE = `settle — merchant and API key administration (replaces the seed's chat-bot onboarding)

  npm run settle -- merchant create --name "Acme" [--fee-flat 2.00] [--tolerance-bps 50] [--webhook-retry 5,10,15]
  npm run settle -- merchant branding --merchant mer_… [--display-name "Acme Store"] [--logo logo.png | --remove-logo]
  npm run settle -- key create --merchant mer_… --mode test|live [--scopes read,write,webhooks,withdraw] [--ip 203.0.113.0/24,…] [--description …]
  npm run settle -- key rotate --key key_… [--expires-in 24h | --expires-at 2026-01-02T00:00:00Z]
  npm run settle -- key revoke --key key_…
  npm run settle -- key list --merchant mer_…

Scopes: read (read objects), write (create invoices and customers), webhooks (manage webhook endpoints,
read deliveries), withdraw (send money out). Default: read,write,webhooks.
key rotate issues a new key with the same mode, scopes and allowlist; the old key keeps working until
--expires-at (or for --expires-in: 30m, 24h, 7d, 0 for at once; default 24h), then answers 401 api_key_expired.
Reads DATABASE_URL. A new key is printed once; only its hash is stored.`;

const options = {
  name: { type: 'string' },
  'fee-flat': { type: 'string' },
  'tolerance-bps': { type: 'string' },
  'webhook-retry': { type: 'string' },
  merchant: { type: 'string' },
  mode: { type: 'string' },
  scopes: { type: 'string' },
  ip: { type: 'string' },
  description: { type: 'string' },
  key: { type: 'string' },
  'display-name': { type: 'string' },
  logo: { type: 'string' },
  'remove-logo': { type: 'boolean' },
  'expires-in': { type: 'string' },
  'expires-at': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

const Cidr = z.string().refine((s) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s), 'not an IP address or CIDR');

async function run(pool: Pool, command: string, flags: Flags): Promise<Record<string, unknown>> {
  switch (command) {
    case 'merchant create': {
      if (!flags.name) throw new Error('--name is required');
      if (flags['fee-flat']) toBaseUnits(flags['fee-flat'], 18);
      const merchant = await createMerchant(pool, {
        name: flags.name,
        underpaymentToleranceBps: flags['tolerance-bps']
          ? z.coerce.number().int().min(0).max(10000).parse(flags['tolerance-bps'])
          : 0,
        feePolicy: flags['fee-flat'] ? { type: 'flat', amount: flags['fee-flat'] } : { type: 'none' },
        webhookRetryScheduleSeconds: flags['webhook-retry']
          ? z
              .array(
                z.coerce
                  .number()
                  .int()
                  .min(1)
                  .max(7 * 86400),
              )
              .min(0)
              .max(20)
              .parse(flags['webhook-retry'].split(','))
          : undefined,
      });
      return {
        merchant_id: merchant.id,
        hd_account_index: merchant.accountIndex,
        hd_derivation_scheme: merchant.derivationScheme,
        // invoice callback_url deliveries are signed with the secret of the invoice's mode
        callback_signing_secret_live: merchant.callbackSecret,
        callback_signing_secret_test: merchant.callbackSecretTest,
      };
    }
    case 'merchant branding': {
      if (!flags.merchant) throw new Error('--merchant is required');
      if (flags.logo && flags['remove-logo']) throw new Error('--logo and --remove-logo exclude each other');
      const displayName =
        flags['display-name'] === undefined ? undefined : z.string().trim().min(1).max(100).parse(flags['display-name']);
      const logo = flags['remove-logo'] ? null : flags.logo ? readLogo(flags.logo) : undefined;
      if (!(await setMerchantBranding(pool, flags.merchant, { displayName, logo }))) {
        throw new Error(`no merchant ${flags.merchant}`);
      }
      const row = await pool.query<{ display_name: string | null; logo_type: string | null; logo_bytes: number | null }>(
        'SELECT display_name, logo_type, octet_length(logo) AS logo_bytes FROM merchants WHERE id = $1',
        [flags.merchant],
      );
      const r = row.rows[0]!;
      return { merchant_id: flags.merchant, display_name: r.display_name, logo_type: r.logo_type, logo_bytes: r.logo_bytes };
    }
    case 'key create': {
      if (!flags.merchant) throw new Error('--merchant is required');
      const mode = z.enum(['test', 'live']).parse(flags.mode ?? 'test');
      const scopes = z
        .array(ApiScope)
        .min(1)
        .parse((flags.scopes ?? 'read,write,webhooks').split(',').map((s) => s.trim()));
      const ipAllowlist = flags.ip ? z.array(Cidr).parse(flags.ip.split(',').map((s) => s.trim())) : [];
      const key = await createApiKey(pool, {
        merchantId: flags.merchant,
        livemode: mode === 'live',
        scopes,
        ipAllowlist,
        description: flags.description,
      });
      return { key_id: key.id, api_key: key.key, mode, scopes, ip_allowlist: ipAllowlist };
    }
    case 'key rotate': {
      if (!flags.key) throw new Error('--key is required');
      const rotated = await rotateApiKey(pool, flags.key, overlapEnd(flags));
      return {
        key_id: rotated.id,
        api_key: rotated.key,
        replaced_key_id: rotated.replaced,
        replaced_key_expires_at: rotated.replacedExpiresAt.toISOString(),
      };
    }
    case 'key revoke': {
      if (!flags.key) throw new Error('--key is required');
      return { key_id: flags.key, revoked: await revokeApiKey(pool, flags.key) };
    }
    case 'key list': {
      const rows = await pool.query(
        'SELECT id, key_prefix, livemode, scopes, ip_allowlist, revoked_at, expires_at, created_at FROM api_keys WHERE merchant_id = $1 ORDER BY created_at',
        [flags.merchant],
      );
      return { keys: rows.rows };
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  }
}

function readLogo(file: string) {
  const bytes = readFileSync(file);
  if (bytes.length > MAX_LOGO_BYTES) throw new Error(`--logo: ${bytes.length} bytes; at most ${MAX_LOGO_BYTES}`);
  const type = logoTypeOf(bytes);
  if (!type) throw new Error('--logo: not a PNG, JPEG or WebP image');
  return { bytes, type };
}

/** When a rotated-out key stops working: --expires-at, else now + --expires-in (default 24 h). */
function overlapEnd(flags: Flags): Date {
  if (flags['expires-at']) {
    const at = new Date(z.iso.datetime({ offset: true }).parse(flags['expires-at']));
    return at;
  }
  const match = (flags['expires-in'] ?? '24h').match(/^(\d+)([smhd]?)$/);
  if (!match) throw new Error('--expires-in takes a duration like 30m, 24h or 7d');
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return new Date(Date.now() + Number(match[1]) * unit * 1000);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options, allowPositionals: true });
  if (values.help || positionals.length < 2) {
    console.log(USAGE);
    return;
  }
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set (npm start prints the one it uses)');
  const pool = createPool(process.env.DATABASE_URL, 2);
  try {
    await migrate(pool);
    const result = await run(pool, positionals.slice(0, 2).join(' '), values);
    if (values.json) console.log(JSON.stringify(result));
    else
      for (const [k, v] of Object.entries(result))
        console.log(`${k.padEnd(24)} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  } finally {
    await pool.end();
  }
}

main().catch((err) => {
  console.error(`error: ${err instanceof z.ZodError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message}`);
  process.exit(1);
});
