import pg from 'pg';
import { compileMapping, mappingColumns, validateDefinition, MAPPING_PROBLEM_CODES, type MappingDefinition, type MappingProblem } from '../../src/mappings/sql/index.js';
import { parsesIn, polyglotReady } from '../../src/mappings/sql/dialects.js';
import { createSourceDb, type SourceDb } from '../support/index.js';

// parsesIn checks outputs with polyglot's parsers, loaded on first use.
beforeAll(() => polyglotReady());

const customers: MappingDefinition = {
  sourceTable: 'crm.customers',
  targetTable: 'customers',
  fieldMappings: {
    customer_id: { source: 'cust_id', transform: null },
    full_name: { source: null, transform: "CONCAT(first_name, ' ', last_name)" },
    created_date: { source: 'created_at', transform: 'created_at::date' },
    signup_day: { source: null, transform: 'DATE(created_at)' },
  },
  decorators: [],
  cteDefinitions: [],
};
const recent: MappingDefinition = {
  sourceTable: 'recent',
  targetTable: 'recent_customers',
  fieldMappings: { id: { source: 'cust_id', transform: null }, n: { source: null, transform: 'CAST(orders AS integer) + 1' } },
  decorators: [],
  cteDefinitions: [{ name: 'recent', sql: "SELECT cust_id, count(*) AS orders FROM crm.orders WHERE placed_at > DATE '2024-01-01' GROUP BY cust_id" }],
};
const people = (maxIterations: number): MappingDefinition => ({
  sourceTable: 'crm.people',
  targetTable: 'people',
  fieldMappings: { id: { source: 'id', transform: null }, email: { source: 'email', transform: null }, phone: { source: 'phone', transform: null } },
  decorators: [
    {
      type: 'identity_resolution',
      config: {
        identifiers: [{ column: 'email', normalize: ['trim', 'lower'], ignore_values: ['', 'anonymous'] }, { column: 'phone', normalize: ['trim'] }],
        match_rules: [{ all_of: ['email'] }, { all_of: ['phone'] }],
        output_column: 'entity_id',
        max_iterations: maxIterations,
      },
    },
  ],
  cteDefinitions: [],
});

const GOLDEN = {
  postgresql: [
    `SELECT "cust_id" AS "customer_id", (CONCAT(first_name, ' ', last_name)) AS "full_name", (created_at::date) AS "created_date", (DATE(created_at)) AS "signup_day" FROM "crm"."customers"`,
    `WITH "recent" AS (SELECT cust_id, count(*) AS orders FROM crm.orders WHERE placed_at > DATE '2024-01-01' GROUP BY cust_id) SELECT "cust_id" AS "id", (CAST(orders AS integer) + 1) AS "n" FROM "recent"`,
  ],
  snowflake: [
    `SELECT "cust_id" AS "customer_id", (CONCAT(COALESCE(CAST(first_name AS VARCHAR), ''), COALESCE(CAST(' ' AS VARCHAR), ''), COALESCE(CAST(last_name AS VARCHAR), ''))) AS "full_name", (CAST(created_at AS DATE)) AS "created_date", (TO_DATE(created_at)) AS "signup_day" FROM "crm"."customers"`,
    `WITH "recent" AS (SELECT cust_id, COUNT(*) AS orders FROM crm.orders WHERE placed_at > CAST('2024-01-01' AS DATE) GROUP BY cust_id) SELECT "cust_id" AS "id", (CAST(orders AS INT) + 1) AS "n" FROM "recent"`,
  ],
  bigquery: [
    "SELECT `cust_id` AS `customer_id`, (CONCAT(COALESCE(CAST(first_name AS STRING), ''), COALESCE(CAST(' ' AS STRING), ''), COALESCE(CAST(last_name AS STRING), ''))) AS `full_name`, (CAST(created_at AS DATE)) AS `created_date`, (DATE(created_at)) AS `signup_day` FROM `crm`.`customers`",
    "WITH `recent` AS (SELECT cust_id, COUNT(*) AS orders FROM crm.orders WHERE placed_at > CAST('2024-01-01' AS DATE) GROUP BY cust_id) SELECT `cust_id` AS `id`, (CAST(orders AS INT64) + 1) AS `n` FROM `recent`",
  ],
  databricks: [
    "SELECT `cust_id` AS `customer_id`, (CONCAT(COALESCE(CAST(first_name AS STRING), ''), COALESCE(CAST(' ' AS STRING), ''), COALESCE(CAST(last_name AS STRING), ''))) AS `full_name`, (CAST(created_at AS DATE)) AS `created_date`, (DATE(created_at)) AS `signup_day` FROM `crm`.`customers`",
    "WITH `recent` AS (SELECT cust_id, COUNT(*) AS orders FROM crm.orders WHERE placed_at > CAST('2024-01-01' AS DATE) GROUP BY cust_id) SELECT `cust_id` AS `id`, (CAST(orders AS INT) + 1) AS `n` FROM `recent`",
  ],
} as const;

describe('compileMapping: golden SQL per dialect', () => {
  for (const [dialect, [plain, withCte]] of Object.entries(GOLDEN) as [keyof typeof GOLDEN, readonly string[]][]) {
    it(`${dialect}: plain columns, transforms, casts, CTEs — and the output parses again in ${dialect}`, async () => {
      const a = await compileMapping(customers, dialect);
      expect(a).toEqual({ dialect, sql: plain, statements: [], referencedColumns: ['created_at', 'cust_id', 'first_name', 'last_name'], checksum: expect.stringMatching(/^[0-9a-f]{64}$/), problems: [] });
      const b = await compileMapping(recent, dialect);
      expect(b.sql).toBe(withCte);
      expect(b.referencedColumns).toEqual(['cust_id', 'placed_at']);
      expect(parsesIn(a.sql!, dialect) && parsesIn(b.sql!, dialect)).toBe(true);
      expect(a.checksum).not.toBe(b.checksum);
    });
  }

  it('identity resolution: the statements in order, identifiers quoted per dialect, each parsing again', async () => {
    const pgOut = await compileMapping(people(2), 'postgresql');
    expect(pgOut.statements.slice(6, 13)).toEqual([
      `CREATE TABLE "people__ir_nodes" AS SELECT "id" AS node, CASE WHEN LOWER(LOWER(TRIM(CAST("email" AS TEXT)))) IN ('', 'anonymous') THEN NULL ELSE LOWER(TRIM(CAST("email" AS TEXT))) END AS "id_0", CASE WHEN LOWER(TRIM(CAST("phone" AS TEXT))) IN ('', 'null', 'none', 'n/a', 'anonymous', 'unknown') THEN NULL ELSE TRIM(CAST("phone" AS TEXT)) END AS "id_1" FROM "people"`,
      `CREATE TABLE "people__ir_edges" AS SELECT DISTINCT node, other FROM (SELECT node, node AS other FROM "people__ir_nodes" UNION ALL SELECT a.node AS node, b.node AS other FROM "people__ir_nodes" AS a JOIN "people__ir_nodes" AS b ON a."id_0" = b."id_0" WHERE a."id_0" IS NOT NULL AND a.node <> b.node UNION ALL SELECT a.node AS node, b.node AS other FROM "people__ir_nodes" AS a JOIN "people__ir_nodes" AS b ON a."id_1" = b."id_1" WHERE a."id_1" IS NOT NULL AND a.node <> b.node) AS e`,
      `CREATE TABLE "people__ir_labels_0" AS SELECT node, node AS label FROM "people__ir_nodes"`,
      `CREATE TABLE "people__ir_labels_1" AS SELECT e.node AS node, MIN(l.label) AS label FROM "people__ir_edges" AS e JOIN "people__ir_labels_0" AS l ON l.node = e.other GROUP BY e.node`,
      `CREATE TABLE "people__ir_labels_2" AS SELECT e.node AS node, MIN(l.label) AS label FROM "people__ir_edges" AS e JOIN "people__ir_labels_1" AS l ON l.node = e.other GROUP BY e.node`,
      `CREATE TABLE "people__ir_out" AS SELECT t.*, l.label AS "entity_id" FROM "people" AS t LEFT JOIN "people__ir_labels_2" AS l ON l.node = t."id"`,
      `DROP TABLE "people"`,
    ]);
    for (const dialect of ['snowflake', 'bigquery', 'databricks'] as const) {
      const out = await compileMapping(people(2), dialect);
      expect(out.problems).toEqual([]);
      expect(out.statements).toHaveLength(pgOut.statements.length);
      const q = dialect === 'snowflake' ? '"' : '`';
      expect(out.statements[13]).toBe(`ALTER TABLE ${q}people__ir_out${q} RENAME TO ${q}people${q}`);
      for (const s of out.statements) expect(parsesIn(s, dialect)).toBe(true);
    }
  });

  it('refuses to emit SQL it cannot translate faithfully (UNTRANSLATABLE), but PostgreSQL keeps it', async () => {
    const def: MappingDefinition = { ...customers, fieldMappings: { month: { source: null, transform: "date_trunc('month', created_at)" } } };
    expect((await compileMapping(def, 'postgresql')).sql).toBe(`SELECT (date_trunc('month', created_at)) AS "month" FROM "crm"."customers"`);
    const bq = await compileMapping(def, 'bigquery');
    expect(bq).toMatchObject({ sql: null, statements: [], checksum: null });
    expect(bq.problems).toEqual([{ path: ['fieldMappings', 'month', 'transform'], code: 'untranslatable', message: 'date_trunc() has no translation to bigquery known to keep its meaning', position: null, suggestion: null }]);
  });

  it('safe casts: TRY_CAST / SAFE_CAST become each dialect\'s own (a CASE over pg_input_is_valid in PostgreSQL), never a plain CAST', async () => {
    const def: MappingDefinition = {
      ...customers,
      fieldMappings: {
        n: { source: null, transform: 'TRY_CAST(first_name AS integer)' },
        d: { source: null, transform: 'safe_cast(last_name AS numeric(10,2)) + 1' },
        s: { source: null, transform: "'try_cast(' || last_name" },
      },
    };
    const dialects = ['postgresql', 'snowflake', 'bigquery', 'databricks'] as const;
    const compiled = Object.fromEntries(await Promise.all(dialects.map(async (d) => [d, (await compileMapping(def, d)).sql!] as const)));
    for (const d of dialects) expect(parsesIn(compiled[d]!, d)).toBe(true);
    expect(compiled).toEqual({
      postgresql:
        `SELECT (CASE WHEN PG_INPUT_IS_VALID(CAST(first_name AS TEXT), 'INT') THEN CAST(first_name AS INT) END) AS "n", ` +
        `(CASE WHEN PG_INPUT_IS_VALID(CAST(last_name AS TEXT), 'DECIMAL(10, 2)') THEN CAST(last_name AS DECIMAL(10, 2)) END + 1) AS "d", ('try_cast(' || last_name) AS "s" FROM "crm"."customers"`,
      snowflake: `SELECT (TRY_CAST(first_name AS INT)) AS "n", (TRY_CAST(last_name AS DECIMAL(10, 2)) + 1) AS "d", ('try_cast(' || last_name) AS "s" FROM "crm"."customers"`,
      bigquery: 'SELECT (SAFE_CAST(first_name AS INT64)) AS `n`, (SAFE_CAST(last_name AS NUMERIC) + 1) AS `d`, (\'try_cast(\' || last_name) AS `s` FROM `crm`.`customers`',
      databricks: 'SELECT (TRY_CAST(first_name AS INT)) AS `n`, (TRY_CAST(last_name AS DECIMAL(10, 2)) + 1) AS `d`, (CONCAT(\'try_cast(\', last_name)) AS `s` FROM `crm`.`customers`',
    });
    // validation reads them as casts: the columns are checked, positions hold
    const problems = await validateDefinition({ ...customers, fieldMappings: { n: { source: null, transform: 'TRY_CAST(first_nam AS integer)' } } }, catalog);
    expect(problems).toMatchObject([{ code: 'unknown_column', position: 10 }]);
  });

  it('mappingColumns: the source table and the columns read', async () => {
    expect(await mappingColumns(customers)).toEqual({ sourceTable: 'crm.customers', columns: ['created_at', 'cust_id', 'first_name', 'last_name'] });
    expect(await mappingColumns(recent)).toEqual({ sourceTable: 'recent', columns: ['cust_id', 'placed_at'] });
  });
});

const transform = (t: string): MappingDefinition => ({ ...customers, fieldMappings: { x: { source: null, transform: t } } });
const codes = (ps: MappingProblem[]) => ps.map((p) => p.code);
const catalog = {
  tables: [
    { schema: 'crm', name: 'customers', columns: ['cust_id', 'first_name', 'last_name', 'created_at'].map((name) => ({ name })) },
    { schema: 'crm', name: 'orders', columns: ['cust_id', 'placed_at'].map((name) => ({ name })) },
  ],
};

describe('validation: every problem code', () => {
  const seen = new Set<string>();
  const check = async (def: MappingDefinition, cat = catalog as typeof catalog | null) => {
    const ps = await validateDefinition(def, cat);
    for (const p of ps) seen.add(p.code);
    return ps;
  };

  it('a sound mapping has no problems, with or without a cached schema', async () => {
    expect(await check(customers)).toEqual([]);
    expect(await check(recent)).toEqual([]);
    expect(await check(customers, null)).toEqual([]);
  });

  it('UNKNOWN_COLUMN with the table columns listed and a near name suggested', async () => {
    expect(await check(transform("CONCAT(first_nam, ' ', last_name)"))).toEqual([
      { path: ['fieldMappings', 'x', 'transform'], code: 'unknown_column', message: 'unknown column first_nam; crm.customers has cust_id, first_name, last_name, created_at', position: 8, suggestion: 'did you mean first_name?' },
    ]);
    expect(await check({ ...customers, fieldMappings: { id: { source: 'custid', transform: null } } })).toEqual([
      { path: ['fieldMappings', 'id', 'source'], code: 'unknown_column', message: 'unknown column custid; crm.customers has cust_id, first_name, last_name, created_at', position: null, suggestion: 'did you mean cust_id?' },
    ]);
  });

  it('UNKNOWN_TABLE for the source table and for tables a CTE reads; a bare name finds a schema-qualified table', async () => {
    expect(codes(await check({ ...customers, sourceTable: 'crm.customer' }))).toEqual(['unknown_table']);
    expect((await check({ ...customers, sourceTable: 'crm.customer' }))[0]!.suggestion).toBe('did you mean crm.customers?');
    expect(await check({ ...customers, sourceTable: 'customers' })).toEqual([]);
    const bad = { ...recent, cteDefinitions: [{ name: 'recent', sql: 'SELECT cust_id FROM crm.ordrs' }] };
    expect((await check(bad)).map((p) => [p.path, p.code])).toEqual([[['cteDefinitions', 'recent', 'sql'], 'unknown_table']]);
  });

  it('statements, several statements, comments and sub-selects are refused', async () => {
    expect(codes(await check(transform('x; DROP TABLE t')))).toEqual(['multiple_statements']);
    expect(codes(await check(transform('(SELECT pg_sleep(10))')))).toEqual(['subquery_not_allowed', 'forbidden_function']);
    expect(codes(await check(transform('cust_id /* ) ; DROP TABLE t; SELECT ( */')))).toEqual(['comment_not_allowed']);
    expect(codes(await check(transform('cust_id -- )\n, 1')))).toEqual(['comment_not_allowed']);
    expect(codes(await check(transform('DELETE FROM crm.customers')))).toEqual(['not_an_expression']);
    expect(codes(await check(transform('1), (2')))).toEqual(['not_an_expression']);
    expect(await check(transform('cust_id +'))).toEqual([{ path: ['fieldMappings', 'x', 'transform'], code: 'parse_error', message: 'not valid SQL: syntax error at or near ")"', position: 10, suggestion: null }]);
    const cte = (sql: string) => check({ ...recent, cteDefinitions: [{ name: 'recent', sql }] });
    expect(codes(await cte('UPDATE crm.orders SET cust_id = 1'))).toEqual(['not_a_select']);
    expect(codes(await cte('SELECT cust_id FROM crm.orders; SELECT 1'))).toEqual(['multiple_statements']);
    expect(codes(await cte('SELECT cust_id, 1 AS orders FROM crm.orders FOR UPDATE'))).toEqual(['forbidden_clause']);
    expect(codes(await cte('WITH d AS (DELETE FROM crm.orders RETURNING cust_id) SELECT cust_id, 1 AS orders FROM d'))).toEqual(['forbidden_clause']);
  });

  it('functions outside the allowlist are refused', async () => {
    for (const f of ['pg_sleep(1)', 'dblink(\'x\', \'y\')', "lo_import('/etc/passwd')", "set_config('a', 'b', false)", 'pg_catalog.pg_sleep(1)', 'public.lower(cust_id)']) {
      expect(codes(await check(transform(f)))).toEqual(['forbidden_function']);
    }
    expect(await check(transform('lower(trim(first_name))'))).toEqual([]);
  });

  it('MISSING_EXPRESSION and INVALID_DECORATOR', async () => {
    expect(codes(await check({ ...customers, fieldMappings: { x: { source: null, transform: null } } }))).toEqual(['missing_expression']);
    const ir = people(3);
    const wrong = { ...ir, sourceTable: 'crm.customers', fieldMappings: { id: { source: 'cust_id', transform: null } } };
    expect((await check(wrong)).map((p) => [p.code, p.message])).toEqual([
      ['invalid_decorator', 'identifier email is not a target field of this mapping'],
      ['invalid_decorator', 'identifier phone is not a target field of this mapping'],
    ]);
    expect(codes(await check({ ...customers, decorators: [{ type: 'identity_resolution', config: { identifiers: [] } }] }))).toEqual(['invalid_decorator']);
    // the shape stored before (match_keys) still reads
    expect(await check({ ...customers, decorators: [{ type: 'identity_resolution', config: { match_keys: ['full_name'], strategy: 'exact' } }] })).toEqual([]);
    // …but its FUZZY strategy has no faithful SQL: refused, not compiled as exact
    const fuzzy = await check({ ...customers, decorators: [{ type: 'identity_resolution', config: { match_keys: ['full_name'], strategy: 'fuzzy' } }] });
    expect(fuzzy.map((p) => [p.code, p.path.join('.')])).toEqual([['invalid_decorator', 'decorators.0.config']]);
    expect(fuzzy[0]!.message).toMatch(/strategy FUZZY cannot be compiled/);
  });

  it('covers every documented code', async () => {
    const def: MappingDefinition = { ...customers, fieldMappings: { m: { source: null, transform: "to_char(created_at, 'YYYY')" } } };
    for (const p of (await compileMapping(def, 'snowflake')).problems) seen.add(p.code);
    // SOURCE_ERROR and TIMEOUT come from running a preview (tests/graphql/mapping-preview.test.ts).
    expect([...seen].sort()).toEqual(MAPPING_PROBLEM_CODES.filter((c) => c !== 'source_error' && c !== 'timeout').sort());
  });
});

describe('the PostgreSQL compilation on a real source', () => {
  let source: SourceDb;
  let client: pg.Client;
  beforeAll(async () => {
    source = await createSourceDb(`
      CREATE SCHEMA crm;
      CREATE TABLE crm.customers (cust_id int PRIMARY KEY, first_name text, last_name text, created_at timestamptz);
      INSERT INTO crm.customers VALUES (1, 'Ada', 'Lovelace', '2024-03-01 10:00+00'), (2, 'Alan', NULL, '2024-04-02 23:00+00');
      CREATE TABLE crm.orders (cust_id int, placed_at date);
      INSERT INTO crm.orders VALUES (1, '2024-02-01'), (1, '2024-02-03'), (2, '2023-12-01'), (2, '2024-05-05');
      CREATE TABLE crm.people (id int, email text, phone text);
      -- a–b share an email (after trim/lower), b–c a phone: one entity; d alone; e and f both "anonymous" with no link
      INSERT INTO crm.people VALUES (1, 'A@x.io ', '111'), (2, 'a@x.io', '222'), (3, NULL, ' 222'), (4, 'd@x.io', '444'),
        (5, 'anonymous', NULL), (6, 'Anonymous', NULL), (7, 'g@x.io', '777'), (8, 'h@x.io', '777'), (9, 'h@x.io', '999'), (10, 'j@x.io', '999');
    `);
    client = new pg.Client({ host: source.host, port: source.port, user: source.user, password: source.password, database: source.database });
    await client.connect();
    await client.query("SET TIME ZONE 'UTC'");
  });
  afterAll(async () => {
    await client.end();
    await source.drop();
  });

  it('returns the expected rows (CONCAT skips NULLs, casts and DATE())', async () => {
    const { sql } = await compileMapping(customers, 'postgresql');
    const { rows } = await client.query({ text: `${sql} ORDER BY 1`, types: { getTypeParser: () => (v: string) => v } });
    expect(rows).toEqual([
      { customer_id: '1', full_name: 'Ada Lovelace', created_date: '2024-03-01', signup_day: '2024-03-01' },
      { customer_id: '2', full_name: 'Alan ', created_date: '2024-04-02', signup_day: '2024-04-02' },
    ]);
    const r2 = await client.query(`${(await compileMapping(recent, 'postgresql')).sql} ORDER BY 1`);
    expect(r2.rows).toEqual([{ id: 1, n: 3 }, { id: 2, n: 2 }]);
  });

  it('a safe cast gives NULL where the value does not fit, the value where it does', async () => {
    await client.query("CREATE TABLE crm.raw (id int, amount text, day text); INSERT INTO crm.raw VALUES (1, '12.50', '2024-02-29'), (2, 'n/a', '2024-02-30'), (3, NULL, NULL)");
    const def: MappingDefinition = {
      sourceTable: 'crm.raw', targetTable: 'clean', decorators: [], cteDefinitions: [],
      fieldMappings: { id: { source: 'id', transform: null }, amount: { source: null, transform: 'TRY_CAST(amount AS numeric(10,2))' }, day: { source: null, transform: 'SAFE_CAST(day AS date)' } },
    };
    const { sql } = await compileMapping(def, 'postgresql');
    const { rows } = await client.query({ text: `${sql} ORDER BY 1`, types: { getTypeParser: () => (v: string) => v } });
    expect(rows).toEqual([{ id: '1', amount: '12.50', day: '2024-02-29' }, { id: '2', amount: null, day: null }, { id: '3', amount: null, day: null }]);
  });

  it('identity resolution: a chain through different identifiers ends in one entity; ignored values link nothing', async () => {
    const compiled = await compileMapping(people(3), 'postgresql');
    await client.query(`CREATE TABLE people AS ${compiled.sql}`);
    for (const s of compiled.statements) await client.query(s);
    const { rows } = await client.query('SELECT id, entity_id FROM people ORDER BY id');
    expect(rows.map((r) => [r.id, r.entity_id])).toEqual([[1, 1], [2, 1], [3, 1], [4, 4], [5, 5], [6, 6], [7, 7], [8, 7], [9, 7], [10, 7]]);
    const left = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'people__ir_%'");
    expect(left.rows[0].n).toBe(0);
  });

  it('identity resolution is bounded: too few iterations leave a long chain split (documented)', async () => {
    const compiled = await compileMapping({ ...people(1), targetTable: 'people_short' }, 'postgresql');
    await client.query(`CREATE TABLE people_short AS ${compiled.sql}`);
    for (const s of compiled.statements) await client.query(s);
    const { rows } = await client.query('SELECT id, entity_id FROM people_short WHERE id >= 7 ORDER BY id');
    expect(rows.map((r) => r.entity_id)).toEqual([7, 7, 8, 9]);
  });
});
