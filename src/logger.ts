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

/** The process logger; `destination` is for tests that read what is logged. */
export function createLogger(level: string, destination?: { write(line: string): void }): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
