import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort, startEmbeddedPostgres } from '../../scripts/dev-stack/processes';
import { compileTestToken } from '../../scripts/contracts/compile-token';
import { workflowBundleOptions } from '../../worker/workflow-bundle-options';

/**
 * Prepares what every test file shares: PostgreSQL (DATABASE_URL, or an embedded server) and the
 * workflow bundle (built once). Each test file starts its own database, Anvil chain, Temporal
 * server, worker and API (test/harness/test-stack.ts).
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-test-'));
  // Test receivers listen on 127.0.0.1; production leaves this off.
  process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS = 'true';
  // Every API request logs a JSON line; tests that read logs capture them with their own logger.
  process.env.SETTLE_LOG_LEVEL ??= 'silent';
  // Readable by the unprivileged user embedded PostgreSQL runs as when the tests run as root.
  chmodSync(dir, 0o755);
  const g = globalThis as Record<string, unknown>;

  if (!process.env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort());
    process.env.DATABASE_URL = pg.url;
    g.__settlePostgres = pg;
  }

  const bundle = await bundleWorkflowCode({ ...workflowBundleOptions, logger: quietLogger });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.SETTLE_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.SETTLE_TEST_DIR = dir;
  compileTestToken();
}

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
