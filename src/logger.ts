import { pino, type Logger } from 'pino';

export type { Logger };

/** Secrets never reach a log line, whatever object carries them. */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'connectionConfig',
  '*.connectionConfig',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}
