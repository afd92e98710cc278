import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../scripts/dev-stack/processes';
import { eventually, TestStack } from './harness/test-stack';

const ROOT = path.join(__dirname, '..');

/** The shell blocks between the README's walkthrough markers, in order. */
function walkthroughScript(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('<!-- walkthrough:start -->')[1]?.split('<!-- walkthrough:end -->')[0];
  if (!section) throw new Error('README.md has no walkthrough section');
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('README walkthrough', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // Like `npm start`: a block every second, so confirmations accrue without anyone mining.
    stack = await TestStack.start({ watch: true, anvilBlockTimeSeconds: 1, confirmations: 2 });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(path.join(ROOT, 'webhooks.log'), { force: true });
  });

  test('when the README walkthrough runs as written, then the invoice is paid, the webhook arrives and the withdrawal completes', async () => {
    const receiverPort = await freePort();
    const result = await runBash(walkthroughScript(), {
      ...process.env,
      SETTLE_URL: stack.apiUrl,
      DATABASE_URL: stack.databaseUrl,
      RECEIVER_PORT: String(receiverPort),
    });
    if (result.code !== 0) console.error(result.output);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/Customer should send to: 0x[0-9a-fA-F]{40}/);
    expect(result.output).toMatch(/ invoice\.paid evt_/);
    expect(result.output).toMatch(/"status":"paid"/);
    expect(result.output).toMatch(/Withdrawal wd_\w+: completed/);
    // The walkthrough's `kill` must stop the receiver itself, not a wrapper that leaves it running.
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${receiverPort}/`).then(
          () => undefined,
          () => true,
        ),
      'the webhook receiver to stop',
      10_000,
    );
  }, 300_000);
});
