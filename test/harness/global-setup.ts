import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort, provisionedBinaries, startEmbeddedPostgres } from '../../scripts/dev-stack/processes';
import { compileTestToken } from '../../scripts/contracts/compile-token';

/**
 * Starts what every test file shares: PostgreSQL (DATABASE_URL, or an embedded server), the
 * Temporal dev server with one namespace per test file, and the workflow bundle (built once).
 * Each test file makes its own database, Anvil chain and task queue.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-test-'));
  // Test receivers listen on 127.0.0.1; production leaves this off.
  process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS = 'true';
  // Readable by the unprivileged user embedded PostgreSQL runs as when the tests run as root.
  chmodSync(dir, 0o755);
  const g = globalThis as Record<string, unknown>;

  if (!process.env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort());
    process.env.DATABASE_URL = pg.url;
    g.__settlePostgres = pg;
  }

  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `settle-test-${i + 1}`);
  const { temporalCli } = provisionedBinaries();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      ui: false,
      namespace: 'default',
      log: { format: 'pretty', level: 'error' },
      extraArgs: namespaces.flatMap((n) => ['--namespace', n]),
      ...(temporalCli ? { executable: { type: 'existing-path' as const, path: temporalCli } } : {}),
    },
  });
  g.__settleTemporal = env;
  process.env.SETTLE_TEST_TEMPORAL_ADDRESS = env.address;

  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.SETTLE_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.SETTLE_TEST_DIR = dir;
  compileTestToken();
}

export const NAMESPACES = 40;

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};
