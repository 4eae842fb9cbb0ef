/**
 * timestamptz as PostgreSQL prints it with DateStyle ISO, the only style it
 * sends without being asked otherwise: `2026-12-07 12:34:56.123456+00`, the
 * offset `±HH`, `±HH:MM` or `±HH:MM:SS`. pg's default parser (postgres-date)
 * runs three regular expressions per value; a dashboard reads thousands of
 * timestamps, and that parsing was a few per cent of the API's CPU and a
 * tenth of its garbage (bench/README.md). Values outside the common shape
 * (infinity, BC, years past 9999, a fraction-less offset in another form) go
 * to `fallback`, pg's own parser, so the result is always the same Date.
 */
export function parseTimestamptz(text: string, fallback: (text: string) => unknown): unknown {
  const length = text.length;
  if (length < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return fallback(text);
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    // Milliseconds are the first three digits of the fraction (a Date keeps no more), as postgres-date truncates.
    i++;
    for (let scale = 100; i < length && isDigit(text.charCodeAt(i)); i++, scale /= 10) if (scale >= 1) ms += (text.charCodeAt(i) - 48) * scale;
  }
  const sign = text.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || year < 100 || Number.isNaN(year + month + day + hour + minute + second)) return fallback(text);
  const offset = offsetSeconds(text, i + 1);
  if (offset === null) return fallback(text);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - (sign === 45 ? -offset : offset) * 1000);
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** The decimal number of `count` digits at `start`, or NaN when one is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return Number.NaN;
    value = value * 10 + code - 48;
  }
  return value;
}

/** `HH`, `HH:MM` or `HH:MM:SS` from `start` to the end of the text, in seconds; null for anything else. */
function offsetSeconds(text: string, start: number): number | null {
  const rest = text.length - start;
  if (rest !== 2 && rest !== 5 && rest !== 8) return null;
  let seconds = 0;
  for (let i = start, unit = 3600; i < text.length; i += 3, unit /= 60) {
    if (i > start && text.charCodeAt(i - 1) !== 58) return null;
    const part = digits(text, i, 2);
    if (Number.isNaN(part)) return null;
    seconds += part * unit;
  }
  return seconds;
}
