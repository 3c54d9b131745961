import pino from 'pino';

/** One logger for the domain; redaction is a second net behind scrubSecrets for structured fields. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'datamigrato' },
  redact: {
    paths: ['password', '*.password', 'url', '*.url', 'token', '*.token', 'connectionString', '*.connectionString'],
    censor: '***',
  },
});

export type Logger = pino.Logger;
