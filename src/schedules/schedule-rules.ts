import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../errors.js';
import { isTimeZone } from '../settings/typed-settings.js';

/** Shorthands a schedule may use instead of five fields; none fires more often than hourly. */
const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly', '@weekdays', '@weekends']);

const CRON_PATH = ['input', 'cron'];

/**
 * A schedule's cron expression, checked the way the queue's scheduler will
 * evaluate it (cron-parser, the parser pg-boss uses): five fields (minute hour
 * day-of-month month day-of-week) or a shorthand such as @daily. A seconds
 * field is refused: the scheduler checks every SCHEDULE_CHECK_SECONDS and a
 * pipeline run per second is never what was meant.
 */
export function checkCron(input: string, timeZone: string): string {
  const cron = input.trim().replace(/\s+/g, ' ');
  if (cron.length > 200) throw new ValidationError('A cron expression has at most 200 characters', CRON_PATH);
  if (cron === '') throw new ValidationError('A cron expression is required, e.g. "0 3 * * *" (every day at 03:00)', CRON_PATH);
  if (cron.startsWith('@')) {
    if (!MACROS.has(cron.toLowerCase())) throw new ValidationError(`Unknown shorthand ${cron}; use one of ${[...MACROS].join(', ')} or five fields`, CRON_PATH);
  } else {
    const fields = cron.split(' ').length;
    if (fields !== 5) {
      throw new ValidationError(`A cron expression has five fields (minute hour day-of-month month day-of-week); "${cron}" has ${fields}`, CRON_PATH);
    }
  }
  try {
    nextRun(cron, timeZone, new Date());
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/\s+/g, ' ').slice(0, 200) : 'not a cron expression';
    throw new ValidationError(`Invalid cron expression "${cron}": ${reason}`, CRON_PATH);
  }
  return cron;
}

export function checkTimeZone(timeZone: string): string {
  if (!isTimeZone(timeZone)) throw new ValidationError(`Unknown time zone ${timeZone}; use an IANA name such as Europe/Berlin`, ['input', 'timeZone']);
  return timeZone;
}

/** The first time after `from` the expression fires, in its time zone; throws when it never does. */
export function nextRun(cron: string, timeZone: string, from: Date = new Date()): Date {
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: from, strict: false }).next().toDate();
}

/** The last time at or before `at` the expression fired, in its time zone. */
export function previousRun(cron: string, timeZone: string, at: Date = new Date()): Date {
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: new Date(at.getTime() + 1), strict: false }).prev().toDate();
}
