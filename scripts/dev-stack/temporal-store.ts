/**
 * How the Temporal dev server keeps its SQLite file. The server reaches it through one connection,
 * so every workflow start, task and timer waits on each commit before it. SQLite's default journal
 * writes, syncs and deletes a rollback file per commit; a write-ahead log appends, and with
 * `synchronous=NORMAL` syncs only at checkpoints. A killed server loses nothing committed (the log
 * is replayed when it opens); only a crash of the machine itself may lose the newest commits, which
 * a local stack can afford. The page cache is raised from 2 MB so a store of a few hundred MB after
 * a long run is read from memory. Measured with `npm run bench -- --only invoice-create` on this
 * 2-core machine: bare workflow starts went from 78–103 to 274 a second, invoice creates from 16.7
 * to 22.5 a second.
 */
export function temporalStoreArgs(dbFile: string): string[] {
  return [
    ...['--db-filename', dbFile],
    ...['--sqlite-pragma', 'journal_mode=WAL'],
    ...['--sqlite-pragma', 'synchronous=NORMAL'],
    ...['--sqlite-pragma', 'cache_size=-65536'],
  ];
}
