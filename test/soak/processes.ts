import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * A child process the soak owns: started in its own process group (so a kill reaches every process
 * it started, e.g. PostgreSQL's backends), restarted whenever it dies until the soak stops it, and
 * killable with SIGKILL at any moment, as a crash would.
 */
export class SupervisedProcess {
  private child?: ChildProcess;
  private stopped = false;
  private readonly log: WriteStream;
  kills = 0;
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly options: SpawnOptions & { logFile: string; restartDelayMs?: number },
  ) {
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  start(): void {
    if (this.stopped) return;
    const child = spawn(this.command, this.args, {
      ...this.options,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      this.log.write(`\n[soak] ${this.name} exited (${signal ?? code})\n`);
      if (this.stopped) return;
      this.restarts++;
      setTimeout(() => this.start(), this.options.restartDelayMs ?? 1000);
    });
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGKILL to the whole process group; the supervisor restarts it after its delay. */
  kill(): void {
    if (!this.running) return;
    this.kills++;
    this.log.write(`\n[soak] SIGKILL ${this.name}\n`);
    killGroup(this.child!.pid!, 'SIGKILL');
  }

  /** Stops for good: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once('exit', r));
    killGroup(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Children the leader left behind (tsx, PostgreSQL backends) go with the group.
    killGroup(child.pid!, 'SIGKILL');
  }

  /** Synchronous last resort for process exit handlers. */
  killNow(): void {
    this.stopped = true;
    if (this.child?.pid) killGroup(this.child.pid, 'SIGKILL');
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
