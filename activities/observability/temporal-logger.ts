import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const SDK_LEVEL: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN' };
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal SDK's logger (workflow, activity and worker lines) writing through pino, so the
 * worker's whole log is JSON lines with the process's redaction rules, activity lines included.
 */
export function temporalLogger(logger: Logger): DefaultLogger {
  return new DefaultLogger(SDK_LEVEL[logger.level] ?? 'ERROR', (entry) => {
    // Task tokens identify a task to the server; they mean nothing to a reader of the log.
    const meta = { ...entry.meta };
    delete meta.taskToken;
    logger[PINO_LEVEL[entry.level]](meta, entry.message);
  });
}
