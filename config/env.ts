import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { NetworkRegistry, NetworkRegistryConfig } from '../domain/networks';
import { TaskQueueKind } from '../domain/task-queues';

/** Variables both processes read. Required ones have no default; the compose test checks them. */
const SharedEnv = z.object({
  DATABASE_URL: z.string().min(1),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  SETTLE_TASK_QUEUE: z.string().default('settle'),
  SETTLE_NETWORKS_FILE: z.string().default(path.join(__dirname, 'networks.json')),
});

export const ApiEnv = SharedEnv.extend({
  PORT: z.coerce.number().int().min(0).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /**
   * Proxies whose X-Forwarded-For is believed: `false`, a hop count (`1` = one proxy you run), or
   * comma-separated CIDRs of your proxies. Never "all": a client could then pick its own IP and
   * pass any key's allowlist.
   */
  SETTLE_TRUST_PROXY: z
    .string()
    .regex(/^(false|\d{1,2}|[0-9a-fA-F:.]+(\/\d{1,3})?(,[0-9a-fA-F:.]+(\/\d{1,3})?)*)$/, 'false, a hop count or CIDRs')
    .default('false'),
  /** Key checkout links are derived with (HMAC); changing it invalidates every link handed out. */
  SETTLE_CHECKOUT_SECRET: z.string().min(32, 'at least 32 characters, e.g. openssl rand -hex 32'),
  /** Origin of checkout links (e.g. https://pay.example.com); by default the origin each request came to. */
  SETTLE_PUBLIC_URL: z
    .url()
    .refine((u) => /^https?:\/\/[^/]+\/?$/.test(u), 'an http(s) origin without a path')
    .optional(),
  /** Space-separated origins allowed to frame the checkout page (CSP frame-ancestors); none by default. */
  SETTLE_CHECKOUT_FRAME_ANCESTORS: z
    .string()
    .regex(/^(\s*(https?:\/\/[a-zA-Z0-9.*-]+(:\d+)?|'self')\s*)*$/, "space-separated http(s) origins or 'self'")
    .default(''),
  /** Requests per minute one client IP may make to checkout pages. */
  SETTLE_CHECKOUT_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  /** Webhook endpoints a merchant may have per mode. */
  SETTLE_MAX_WEBHOOK_ENDPOINTS: z.coerce.number().int().min(1).default(16),
  /** Pending test-mode invoices a merchant may have. */
  SETTLE_MAX_OPEN_TEST_INVOICES: z.coerce.number().int().min(1).default(1000),
  /** Test-mode customers a merchant may have. */
  SETTLE_MAX_TEST_CUSTOMERS: z.coerce.number().int().min(1).default(1000),
  /**
   * Requests per API key per window (live, test) and event resends per key per window; 0 = unlimited.
   * Defaults are Stripe's: 100 requests/s live, 25/s test; one resend a second.
   */
  SETTLE_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  SETTLE_RATE_LIMIT_LIVE: z.coerce.number().int().min(0).default(1000),
  SETTLE_RATE_LIMIT_TEST: z.coerce.number().int().min(0).default(250),
  SETTLE_RATE_LIMIT_RESEND: z.coerce.number().int().min(0).default(10),
  /** Networks whose RPC /readyz checks (comma-separated ids); set it to the networks you serve. */
  SETTLE_READY_NETWORKS: z.string().default('local'),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

export const WorkerEnv = SharedEnv.extend({
  /**
   * BIP39-style master seed as hex; the only private key material in Settle, read only by the worker.
   * Required unless the process polls only webhook deliveries, which never need a key.
   */
  SETTLE_MASTER_SEED: z
    .string()
    .regex(/^[0-9a-fA-F]{32,128}$/, 'hex seed of 16 to 64 bytes')
    .optional(),
  /**
   * The kinds of work this process polls for (comma-separated: payments, test-payments, webhooks,
   * chain-watchers); all by default. Webhook deliveries in a process of their own, at a lower CPU
   * priority (SETTLE_WORKER_NICE), cannot slow payments down where the two share a machine.
   */
  SETTLE_WORKER_QUEUES: z
    .string()
    .default(Object.values(TaskQueueKind).join(','))
    .transform((v) => listOf(v))
    .pipe(z.array(z.enum(Object.values(TaskQueueKind) as [TaskQueueKind, ...TaskQueueKind[]])).min(1)),
  /** This process's CPU priority as `nice` counts it (0 to 19; higher yields the CPU to other processes). */
  SETTLE_WORKER_NICE: z.coerce.number().int().min(0).max(19).default(0),
  /** Networks whose chain watcher this worker keeps running (comma-separated ids). */
  SETTLE_WATCH_NETWORKS: z.string().default('local'),
  /** Webhook attempts this process runs at once, all merchants together. */
  SETTLE_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /**
   * Webhook attempts of one merchant at once, across every worker (give them all the same value);
   * its further deliveries wait in PostgreSQL until a slot frees.
   */
  SETTLE_WEBHOOK_CONCURRENCY_PER_MERCHANT: z.coerce.number().int().min(1).max(1000).default(8),
  /** A prebuilt workflow bundle (bundleWorkflowCode output); without it the worker bundles workflows/ at start. */
  SETTLE_WORKFLOW_BUNDLE: z.string().optional(),
  /** The worker's own HTTP server: /healthz, /readyz and /metrics. */
  SETTLE_WORKER_HTTP_HOST: z.string().default('127.0.0.1'),
  SETTLE_WORKER_HTTP_PORT: z.coerce.number().int().min(0).default(9464),
  /** Minutes between reconciliations of the ledger against on-chain balances (one schedule per watched network); 0 = none. */
  SETTLE_RECONCILIATION_INTERVAL_MINUTES: z.coerce.number().int().min(0).default(15),
  /** Where the Temporal SDK serves its Prometheus metrics (merged into /metrics); `off` disables them. */
  SETTLE_TEMPORAL_METRICS_ADDRESS: z.string().default('127.0.0.1:9465'),
}).superRefine((env, ctx) => {
  if (env.SETTLE_MASTER_SEED === undefined && env.SETTLE_WORKER_QUEUES.some((q) => q !== TaskQueueKind.webhooks)) {
    ctx.addIssue({
      code: 'custom',
      path: ['SETTLE_MASTER_SEED'],
      message: `required unless SETTLE_WORKER_QUEUES is ${TaskQueueKind.webhooks} alone`,
    });
  }
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${problems}`);
  }
  return parsed.data;
}

/** A comma-separated list from the environment, without blanks. */
export function listOf(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function loadNetworkRegistry(file: string): NetworkRegistry {
  return new NetworkRegistry(NetworkRegistryConfig.parse(JSON.parse(readFileSync(file, 'utf8'))));
}
