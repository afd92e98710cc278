import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../worker/workflow-bundle-options';

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

/**
 * Bundles the workflows once into `file` for every worker a local stack starts (SETTLE_WORKFLOW_BUNDLE).
 * A worker that bundles for itself spends seconds of CPU at each start and keeps the bundler's
 * garbage to collect while it should be idle; with two workers on two cores, twice. The bundler
 * runs in a process of its own, so the long-lived supervisor does not keep that garbage either.
 */
export async function writeWorkflowBundle(file: string): Promise<string> {
  await promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), __filename, file], {
    cwd: path.resolve(__dirname, '../..'),
  });
  return file;
}

if (require.main === module) {
  void bundleWorkflowCode({ ...workflowBundleOptions, logger: quietLogger }).then((bundle) =>
    writeFileSync(process.argv[2]!, bundle.code),
  );
}
