import { createRequire } from 'node:module';
import fc from 'fast-check';
import pg from 'pg';
import { parseTimestamptz } from '../../src/db/timestamps.js';
import { createTestDb, type TestDb } from '../support/index.js';

// pg's own parser (pg-types' dependency), which src/db/connection.ts replaced with ours.
const postgresDate = createRequire(import.meta.url)('postgres-date') as (text: string) => Date | number | null;
const parse = (text: string) => parseTimestamptz(text, postgresDate);
const fastOnly = (text: string) =>
  parseTimestamptz(text, () => {
    throw new Error(`${text} left to pg's parser`);
  });
const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() || (Number.isNaN(a.getTime()) && Number.isNaN(b.getTime())) : a === b);

const two = (n: number) => String(n).padStart(2, '0');
/** A timestamptz as PostgreSQL prints it with DateStyle ISO. */
const printed = fc
  .record({
    year: fc.integer({ min: 1, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
    sign: fc.constantFrom('+', '-'),
    offset: fc.oneof(
      fc.integer({ min: 0, max: 15 }).map(two),
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${two(h)}:${two(m)}`),
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([h, m, s]) => `${two(h)}:${two(m)}:${two(s)}`),
    ),
  })
  .map(
    (t) =>
      `${String(t.year).padStart(4, '0')}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction !== undefined ? `.${t.fraction}` : ''}${t.sign}${t.offset}`,
  );

describe('timestamptz parsing', () => {
  it('gives the Date pg’s own parser gives, for every value PostgreSQL prints', () => {
    fc.assert(
      // Years from 100 on are read without pg's parser; the years 1–99 (which Date.UTC reads as 19xx) with it.
      fc.property(printed, (text) => same(Number(text.slice(0, 4)) >= 100 ? fastOnly(text) : parse(text), postgresDate(text))),
      { numRuns: 20_000, seed: 20261207 },
    );
  });

  it.each([
    'infinity',
    '-infinity',
    '0044-03-15 12:00:00+00 BC',
    '12345-01-01 00:00:00+00',
    '0099-12-31 23:59:59.999+00',
    '2024-02-30 00:00:00+00',
    '2024-01-01 00:00:00Z',
    '2024-01-01 00:00:00',
    '2024-01-01',
    '2024-01-01 00:00:00+5',
  ])('leaves the unusual to pg’s parser: %s', (text) => {
    expect(same(parse(text), postgresDate(text))).toBe(true);
  });

  describe('against PostgreSQL', () => {
    let t: TestDb;
    let pool: pg.Pool;
    beforeAll(async () => {
      t = await createTestDb({ migrate: false });
      pool = t.pool;
    });
    afterAll(() => t.close());

    it.each(['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Africa/Monrovia'])('reads the instant PostgreSQL stored, session time zone %s', async (zone) => {
      expect(pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ)).not.toBe(postgresDate);
      const client = await pool.connect();
      try {
        await client.query(`set time zone '${zone}'`);
        // 1972 in Monrovia: an offset of -00:44:30, printed with seconds.
        const { rows } = await client.query<{ at: Date; epoch_ms: number }>(
          `select at, floor(extract(epoch from at) * 1000)::bigint as epoch_ms
             from unnest(array['2026-12-07 12:34:56.789123+00', '1972-01-01 00:00:00+00', '2000-02-29 23:59:59.5-03:30', '1900-06-01 10:00:00+00']::timestamptz[]) as at`,
        );
        expect(rows.map((r) => r.at.getTime())).toEqual(rows.map((r) => r.epoch_ms));
      } finally {
        await client.query('reset time zone');
        client.release();
      }
    });
  });
});
