import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs, one object per line. Fields that could carry a secret are censored even if
 * a caller passes them by mistake; keys and seeds must never be logged in the first place.
 */
export function createLogger(role: 'api' | 'worker'): Logger {
  return pino({
    base: { process: role },
    level: process.env.SETTLE_LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        '*.apiKey',
        '*.api_key',
        '*.secret',
        '*.seed',
        '*.masterSeed',
        '*.privateKey',
      ],
      censor: '[redacted]',
    },
  });
}
