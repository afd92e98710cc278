import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { z } from 'zod';
import { migrate } from '../../activities/db/migrate';
import { createApiKey, createMerchant, revokeApiKey } from '../../activities/db/merchants';
import { createPool } from '../../activities/db/pool';
import { ApiScope } from '../../domain/api-schemas';
import { toBaseUnits } from '../../domain/money';

const USAGE = `settle — merchant and API key administration (replaces the seed's chat-bot onboarding)

  npm run settle -- merchant create --name "Acme" [--fee-flat 2.00] [--tolerance-bps 50] [--webhook-retry 5,10,15]
  npm run settle -- key create --merchant mer_… --mode test|live [--scopes read,write,withdraw] [--ip 203.0.113.0/24,…] [--description …]
  npm run settle -- key revoke --key key_…
  npm run settle -- key list --merchant mer_…

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
        // invoice callback_url deliveries are signed with the secret of the invoice's mode
        callback_signing_secret_live: merchant.callbackSecret,
        callback_signing_secret_test: merchant.callbackSecretTest,
      };
    }
    case 'key create': {
      if (!flags.merchant) throw new Error('--merchant is required');
      const mode = z.enum(['test', 'live']).parse(flags.mode ?? 'test');
      const scopes = z
        .array(ApiScope)
        .min(1)
        .parse((flags.scopes ?? 'read,write').split(',').map((s) => s.trim()));
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
    case 'key revoke': {
      if (!flags.key) throw new Error('--key is required');
      return { key_id: flags.key, revoked: await revokeApiKey(pool, flags.key) };
    }
    case 'key list': {
      const rows = await pool.query(
        'SELECT id, key_prefix, livemode, scopes, ip_allowlist, revoked_at, created_at FROM api_keys WHERE merchant_id = $1 ORDER BY created_at',
        [flags.merchant],
      );
      return { keys: rows.rows };
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  }
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
