/**
 * Starts a throwaway local Settle (the test harness's real pieces: embedded PostgreSQL, Temporal
 * dev server, Anvil, worker, API with the chain watcher) and fuzzes it with Schemathesis.
 * Usage: npx tsx scripts/fuzz/fuzz-local.ts [max-examples] [extra schemathesis args...]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import globalSetup from '../../test/harness/global-setup';
import globalTeardown from '../../test/harness/global-teardown';
import { TestStack } from '../../test/harness/test-stack';

async function main(): Promise<number> {
  const [maxExamples = '25', ...extra] = process.argv.slice(2);
  await globalSetup();
  const stack = await TestStack.start({ watch: true });
  try {
    const { key } = await stack.merchant();
    // Something to find, so retrieve operations are not all 404s.
    await stack.api('POST', '/v1/invoices', key, { amount: '10', external_id: 'fuzz-seed' });
    await stack.api('POST', '/v1/customers', key, { email: 'fuzz@example.com' });
    console.log(`fuzzing ${stack.apiUrl} (docs: ${stack.apiUrl}/docs)`);
    const script = path.join(__dirname, 'run-schemathesis.sh');
    const child = spawn('bash', [script, stack.apiUrl, key, maxExamples, ...extra], { stdio: 'inherit' });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await stack.stop();
    await globalTeardown();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
