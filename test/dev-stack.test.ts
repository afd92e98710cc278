import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { freePort, startEmbeddedPostgres } from '../scripts/dev-stack/processes';
import { Supervisor } from '../scripts/dev-stack/supervisor';
import { eventually } from './harness/test-stack';

/** `npm start`'s own processes: embedded PostgreSQL from any folder, and supervision that heals. */
describe('dev stack', () => {
  const dirs: string[] = [];
  const servers: Array<{ stop(): Promise<void> }> = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  test('when the checkout is in a private (700) folder, then embedded PostgreSQL starts, keeps its data across restarts, and exits when its server dies', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'settle-home-'));
    chmodSync(home, 0o700);
    // Where data goes when the invoking user is root and `postgres` cannot enter `home`.
    const fallbackRoot = mkdtempSync(path.join(os.tmpdir(), 'settle-pgroot-'));
    chmodSync(fallbackRoot, 0o755);
    dirs.push(home, fallbackRoot);
    process.env.SETTLE_DEV_POSTGRES_ROOT = fallbackRoot;
    const dataDir = path.join(home, 'settle', '.data', 'postgres');
    mkdirSync(path.dirname(dataDir), { recursive: true });
    const port = await freePort();

    const first = await startEmbeddedPostgres(dataDir, port);
    servers.push(first);
    if (process.getuid?.() === 0) expect(first.dataDir.startsWith(fallbackRoot)).toBe(true);
    else expect(first.dataDir).toBe(dataDir);
    const pool = new Pool({ connectionString: first.url, max: 1 });
    // The server is stopped on purpose below; its goodbye to a closing connection is not a failure.
    pool.on('error', () => {});
    await pool.query('CREATE TABLE kept (v text)');
    await pool.query("INSERT INTO kept VALUES ('still here')");
    await pool.end();
    await first.stop();

    const second = await startEmbeddedPostgres(dataDir, port);
    servers.push(second);
    expect(second.dataDir).toBe(first.dataDir);
    const again = new Pool({ connectionString: second.url, max: 1 });
    again.on('error', () => {});
    expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
    await again.end();

    // A server killed under the wrapper must take the wrapper down, so a supervisor restarts both.
    const exited = new Promise<number | null>((r) => second.child.once('exit', (code) => r(code)));
    const serverPid = Number(readFileSync(path.join(second.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(serverPid, 'SIGKILL');
    expect(await exited).toBe(1);
  }, 90_000);

  test('when a supervised process is killed, then it is started again', async () => {
    const supervisor = new Supervisor(() => {});
    const script = 'require("fs").writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)';
    const pidDir = mkdtempSync(path.join(os.tmpdir(), 'settle-sup-'));
    dirs.push(pidDir);
    const pidFile = path.join(pidDir, 'pid');
    supervisor.run({ name: 'sleeper', command: process.execPath, args: ['-e', script, pidFile] });
    const readPid = () => Number(readFileSync(pidFile, 'utf8'));
    const firstPid = await eventually(async () => readPid() || undefined, 'the first run');

    process.kill(firstPid, 'SIGKILL');
    const secondPid = await eventually(async () => (readPid() !== firstPid ? readPid() : undefined), 'the restart');
    expect(secondPid).not.toBe(firstPid);

    await supervisor.stopAll();
    expect(() => process.kill(secondPid, 0)).toThrow();
  });
});
