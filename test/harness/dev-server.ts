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
  return withStartRetries(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        ui: false,
        dbFilename: path.join(mkdtempSync(path.join(os.tmpdir(), 'settle-temporal-')), 'temporal.db'),
        log: { format: 'pretty', level: 'error' },
        // Webhook deliveries carry the merchant as fairness key; this has the server honour it.
        extraArgs: ['--dynamic-config-value', 'matching.enableFairness=true'],
        ...(temporalCli ? { executable: { type: 'existing-path' as const, path: temporalCli } } : {}),
      },
    }),
  );
}

/** Temporal's time-skipping test server: the provisioned Java one, else the SDK's download. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const { testServer } = provisionedBinaries();
  return withStartRetries(() =>
    TestWorkflowEnvironment.createTimeSkipping(
      testServer ? { server: { executable: { type: 'existing-path', path: testServer } } } : undefined,
    ),
  );
}

/**
 * The SDK gives a server 5 s to accept connections and kills it otherwise; a JVM on a loaded
 * 2-core machine can need longer. A fresh attempt (new port, new process) is safe after that kill.
 */
async function withStartRetries(start: () => Promise<TestWorkflowEnvironment>, attempts = 4): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/did not start within/.test(String(err))) throw err;
    }
  }
}
