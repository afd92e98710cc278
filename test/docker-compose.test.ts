import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { ApiEnv, WorkerEnv } from '../config/env';
import { TaskQueueKind } from '../domain/task-queues';
import { PAYMENT_WORKER_ENV, WEBHOOK_WORKER_ENV } from '../scripts/dev-stack/worker-kinds';

/** No Docker engine runs here, so the compose file is checked against the app's own configuration schemas. */
// `merge` resolves the `<<:` keys compose uses to share the workers' settings.
const compose = parse(readFileSync(path.join(__dirname, '../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      environment?: Record<string, string>;
      ports?: string[];
      command?: string[];
      depends_on?: unknown;
      build?: string;
      volumes?: string[];
    }
  >;
};
const services = compose.services;

/** Variables a schema cannot do without: parsing an empty environment names exactly those. */
function requiredVariables(schema: z.ZodObject): string[] {
  const result = schema.safeParse({});
  return result.success ? [] : result.error.issues.map((i) => String(i.path[0]));
}
/** Resolves compose's ${VAR:-default} and ${VAR:?message} the way compose would with VAR set to "x". */
const expand = (value: string) =>
  value.replace(/\$\{(\w+)(:-([^}]*)|:\?[^}]*)?\}/g, (_m, _name, _d, fallback) => fallback ?? 'x');

const WORKERS = ['settle-worker', 'settle-webhook-worker'];

describe('docker-compose.yml', () => {
  test('when the file is read, then it has Temporal on PostgreSQL, its UI, PostgreSQL, the Settle API and workers', () => {
    expect(Object.keys(services).sort()).toEqual([
      'postgresql',
      'settle-api',
      'settle-webhook-worker',
      'settle-worker',
      'temporal',
      'temporal-ui',
    ]);
    expect(services.temporal!.environment!.DB).toBe('postgres12');
    expect(services.temporal!.environment!.POSTGRES_SEEDS).toBe('postgresql');
  });

  test.each([
    ['settle-api', ApiEnv, 'api/main.js'],
    ['settle-worker', WorkerEnv, 'worker/main.js'],
    ['settle-webhook-worker', WorkerEnv, 'worker/main.js'],
  ] as const)('when %s starts, then every variable its config requires is set and parses', (name, schema, entry) => {
    const service = services[name]!;
    expect(service.command).toContain(entry);
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, expand(String(v))]));
    for (const key of requiredVariables(schema)) expect(env).toHaveProperty(key);
    if (name === 'settle-worker') env.SETTLE_MASTER_SEED = 'ab'.repeat(32);
    if (name === 'settle-api') env.SETTLE_CHECKOUT_SECRET = 'cd'.repeat(32);
    expect(schema.safeParse(env).success).toBe(true);
  });

  test('when the processes connect, then addresses name real services and ports', () => {
    const temporalPort = services.temporal!.ports!.map((p) => p.split(':').pop())[0];
    for (const name of ['settle-api', ...WORKERS]) {
      const env = services[name]!.environment!;
      expect(env.TEMPORAL_ADDRESS).toBe(`temporal:${temporalPort}`);
      const db = new URL(expand(env.DATABASE_URL!));
      expect(services).toHaveProperty(db.hostname);
      expect(db.port).toBe('5432');
      expect(env.SETTLE_TASK_QUEUE).toBe(services['settle-worker']!.environment!.SETTLE_TASK_QUEUE);
    }
    expect(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe(`temporal:${temporalPort}`);
    const apiPort = services['settle-api']!.environment!.PORT;
    expect(services['settle-api']!.ports!.some((p) => p.endsWith(`:${apiPort}`))).toBe(true);
  });

  test('when the cluster is laid out, then two of each API and worker share it', () => {
    for (const name of ['settle-api', ...WORKERS])
      expect((services[name] as { deploy?: { replicas?: number } }).deploy?.replicas).toBe(2);
    const hostPorts = services['settle-api']!.ports![0]!.split(':').slice(-2)[0]!.split('-').map(Number);
    expect(hostPorts[1]! - hostPorts[0]! + 1).toBe(2);
  });

  test('when Temporal starts, then it reads the dynamic config that turns on fairness between merchants', () => {
    const temporal = services.temporal!;
    // The image resolves a relative path from its working directory, /etc/temporal.
    const wanted = path.posix.resolve('/etc/temporal', temporal.environment!.DYNAMIC_CONFIG_FILE_PATH!);
    const mount = (temporal.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === wanted);
    expect(mount).toBeDefined();
    const file = parse(readFileSync(path.join(__dirname, '..', mount![0]!), 'utf8')) as Record<string, Array<{ value: unknown }>>;
    expect(file['matching.enableFairness']).toEqual([{ value: true }]);
  });

  test('when work is split, then every queue is polled, payments by one kind of worker and webhooks at a lower priority by the other', () => {
    const queuesOf = (name: string) =>
      WorkerEnv.shape.SETTLE_WORKER_QUEUES.parse(services[name]!.environment!.SETTLE_WORKER_QUEUES);
    const nice = (name: string) => WorkerEnv.shape.SETTLE_WORKER_NICE.parse(services[name]!.environment!.SETTLE_WORKER_NICE);
    expect(queuesOf('settle-webhook-worker')).toEqual([TaskQueueKind.webhooks]);
    expect(queuesOf('settle-worker')).not.toContain(TaskQueueKind.webhooks);
    expect(new Set([...queuesOf('settle-worker'), ...queuesOf('settle-webhook-worker')])).toEqual(
      new Set(Object.values(TaskQueueKind)),
    );
    expect(nice('settle-webhook-worker')).toBeGreaterThan(nice('settle-worker'));
    expect(services['settle-webhook-worker']!.command).toEqual(services['settle-worker']!.command);
  });

  test('when compose splits the workers, then each kind polls what npm start and npm run cluster give it', () => {
    expect(services['settle-worker']!.environment).toMatchObject(PAYMENT_WORKER_ENV);
    expect(services['settle-webhook-worker']!.environment).toMatchObject(WEBHOOK_WORKER_ENV);
  });

  test('when secrets are handed out, then only the payment workers receive the master seed', () => {
    expect(services['settle-worker']!.environment).toHaveProperty('SETTLE_MASTER_SEED');
    for (const [name, s] of Object.entries(services)) {
      if (name !== 'settle-worker') expect(s.environment ?? {}).not.toHaveProperty('SETTLE_MASTER_SEED');
    }
  });

  test('when the networks file is referenced, then it is the one the image ships', () => {
    const file = services['settle-api']!.environment!.SETTLE_NETWORKS_FILE!;
    expect(file).toBe('/app/config/networks.json');
    expect(readFileSync(path.join(__dirname, '../Dockerfile'), 'utf8')).toMatch(/COPY config \.\/config/);
  });
});
