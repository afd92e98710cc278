import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { provisionedBinaries } from '../../scripts/dev-stack/processes';

/**
 * A Temporal dev server (the `temporal` CLI the project provisions) for one test file, on a free
 * port, with its SQLite store in a file: the in-memory store shares one connection, and a cancelled
 * long poll (a worker shutting down) can leave it failing every later query.
 */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  const { temporalCli } = provisionedBinaries();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      ui: false,
      dbFilename: path.join(mkdtempSync(path.join(os.tmpdir(), 'settle-temporal-')), 'temporal.db'),
      log: { format: 'pretty', level: 'error' },
      ...(temporalCli ? { executable: { type: 'existing-path' as const, path: temporalCli } } : {}),
    },
  });
}

/** Temporal's time-skipping test server: the provisioned Java one, else the SDK's download. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const { testServer } = provisionedBinaries();
  return TestWorkflowEnvironment.createTimeSkipping(
    testServer ? { server: { executable: { type: 'existing-path', path: testServer } } } : undefined,
  );
}
