import { closeSync, openSync } from 'node:fs';
import path from 'node:path';

/**
 * Named places where a real crash does the most harm (after a side effect, before its record).
 * Off unless the worker is started with SETTLE_CRASH_POINTS (names, comma-separated) and
 * SETTLE_CRASH_MARKER_DIR: then the first time the process reaches a listed point it leaves a
 * marker file and SIGKILLs itself, exactly as a power cut would, and the restarted worker (which
 * finds the marker) runs on. This is how tests prove recovery from crashes that `shutdown()` at an
 * idle moment never exercises.
 */
export type CrashPoint =
  | 'watcher.after-start-deposit'
  | 'deposit.after-credit'
  | 'withdrawal.before-broadcast'
  | 'webhook.after-post'
  | 'webhook.after-hand';

const armed = new Set((process.env.SETTLE_CRASH_POINTS ?? '').split(',').filter(Boolean));
const markerDir = process.env.SETTLE_CRASH_MARKER_DIR;

export function crashPoint(name: CrashPoint): void {
  if (!markerDir || !armed.has(name)) return;
  try {
    // O_EXCL: exactly one process ever crashes at each point, however many restarts follow.
    closeSync(openSync(path.join(markerDir, name), 'wx'));
  } catch {
    return;
  }
  process.kill(process.pid, 'SIGKILL');
}
