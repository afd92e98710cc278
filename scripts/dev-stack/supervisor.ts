import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { stopChild } from './processes';

/** Restart pauses double from the first to the last while a process keeps crashing. */
const FIRST_RESTART_DELAY_MS = 1000;
const LAST_RESTART_DELAY_MS = 30_000;
/** A process that ran this long is considered healthy again: its next restart is quick. */
const STABLE_AFTER_MS = 30_000;

export interface SupervisedProcess {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output goes to this file (appended) instead of this process's stdout and stderr with a name prefix. */
  logFile?: string;
}

/**
 * Keeps child processes running as a process supervisor (systemd, s6) would: a process that dies
 * is restarted after a pause that grows while it keeps crashing. Output is prefixed with its name.
 */
export class Supervisor {
  private readonly running = new Map<string, ChildProcess>();
  /** Processes killed for good (a crash that is not restarted): their exit starts nothing. */
  private readonly retired = new Set<string>();
  private stopping = false;

  constructor(private readonly log: (message: string) => void) {}

  run(spec: SupervisedProcess, restartDelayMs = FIRST_RESTART_DELAY_MS): void {
    if (this.stopping || this.retired.has(spec.name)) return;
    const startedAt = Date.now();
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (spec.logFile) {
      const file = createWriteStream(spec.logFile, { flags: 'a' });
      child.stdout!.pipe(file, { end: false });
      child.stderr!.pipe(file, { end: false });
      child.once('close', () => file.end());
    } else {
      const prefix = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `[${spec.name}] `);
      child.stdout!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
      child.stderr!.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
    }
    child.once('error', (err) => this.log(`${spec.name} could not run: ${err.message}`));
    this.running.set(spec.name, child);
    child.once('exit', (code, signal) => {
      if (this.stopping || this.retired.has(spec.name)) return;
      const delay = Date.now() - startedAt > STABLE_AFTER_MS ? FIRST_RESTART_DELAY_MS : restartDelayMs;
      this.log(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
      setTimeout(() => this.run(spec, Math.min(delay * 2, LAST_RESTART_DELAY_MS)), delay);
    });
  }

  /** The pid of a running process, for tests that signal it. */
  pid(name: string): number | undefined {
    const child = this.running.get(name);
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** SIGKILLs a process as a crash would; it is restarted unless `restart` is false. */
  async kill(name: string, options: { restart?: boolean } = {}): Promise<void> {
    const child = this.running.get(name);
    if (!child) throw new Error(`no process named ${name}`);
    if (options.restart === false) this.retired.add(name);
    await stopChild(child, 'SIGKILL');
  }

  /** Stops every process, the last started first (the API and worker before what they depend on). */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const child of [...this.running.values()].reverse()) await stopChild(child);
  }
}
