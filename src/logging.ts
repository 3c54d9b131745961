import pino from 'pino';
import { loadConfig } from './config';

/** The logger must exist to report a bad configuration; the entry point's own loadConfig() then throws. */
function level(): string {
  try {
    return loadConfig().LOG_LEVEL;
  } catch {
    return 'info';
  }
}

/** One logger for the domain; redaction is a second net behind scrubSecrets for structured fields. */
export const logger = pino({
  level: level(),
  base: { service: 'datamigrato' },
  redact: {
    paths: ['password', '*.password', 'url', '*.url', 'token', '*.token', 'connectionString', '*.connectionString'],
    censor: '***',
  },
});

export type Logger = pino.Logger;
