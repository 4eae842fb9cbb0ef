/* eslint-disable @typescript-eslint/no-explicit-any -- generic over any table; callers get their row type back */
import { sql, type SelectQueryBuilder } from 'kysely';
import { ValidationError } from '../errors.js';
import { isUuid } from '../validation.js';
import { jsonAsText, withLazyJson } from './lazy-json.js';

/** Relay connection arguments, as the API receives them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  /** The client asked for totalCount: count the whole list in the page's statement where the list can (nested first pages, fetchPage with a count). */
  withTotalCount?: boolean;
  /**
   * The columns the client's selection reads of each row; left out, every
   * column of the list. The page reads these and those it needs itself (id,
   * its order, the parent it is grouped by): a dashboard's 200 mappings carry
   * ≈ 1 KB of JSONB each, and its jobs timestamps and arrays, it never shows.
   * Reading a column of such a row that was not read throws.
   */
  columns?: readonly string[];
}

export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** All rows of the list (not only this page), when the page's statement counted them too. */
  totalCount?: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PagePlan {
  limit: number;
  /** true: newest first (first/after); false: walking back from `before`. */
  forward: boolean;
  cursorId: string | null;
  hasCursor: boolean;
}

const CURSOR_PREFIX = 'c1:';

/** Cursors are opaque to clients: a versioned, base64url-encoded row id. */
export function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id).toString('base64url');
}

export function decodeCursor(cursor: string, argName: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!isUuid(id)) throw new ValidationError(`"${argName}" is not a valid cursor`, [argName]);
  return id;
}

/** Checks the arguments once, for every list of the API: at most 100 rows a page. */
export function planPage(args: PageArgs): PagePlan {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw new ValidationError('Pass either "first" or "last", not both', ['first']);
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE)) {
      throw new ValidationError(`"${name}" must be between 0 and ${MAX_PAGE_SIZE}`, [name]);
    }
  }
  const forward = last == null;
  const limit = (forward ? first : last) ?? DEFAULT_PAGE_SIZE;
  const cursor = forward ? after : before;
  if (!forward && after != null) throw new ValidationError('"after" goes with "first", not "last"', ['after']);
  if (forward && before != null) throw new ValidationError('"before" goes with "last", not "first"', ['before']);
  const cursorId = cursor != null ? decodeCursor(cursor, forward ? 'after' : 'before') : null;
  return { limit, forward, cursorId, hasCursor: cursorId !== null };
}

export function toPage<T>(rows: T[], plan: PagePlan): Page<T> {
  const more = rows.length > plan.limit;
  const pageRows = rows.slice(0, plan.limit);
  if (!plan.forward) pageRows.reverse();
  return {
    rows: pageRows,
    hasNextPage: plan.forward ? more : plan.hasCursor,
    hasPreviousPage: plan.forward ? plan.hasCursor : more,
  };
}

// The helpers below work on any table ordered newest first by (created_at, id);
// Kysely cannot type a query generic over the table, so they take a loosely
// typed builder and hand back the caller's row type.
type AnyQuery = SelectQueryBuilder<any, any, any>;

/**
 * The columns a page is ordered and cut by: the list table's own
 * (created_at, id), or copies of them in a joined table whose index holds the
 * filter and the order together (mapping_field_sources), so the cut is an
 * index range read.
 */
export interface Keyset {
  createdAt: string;
  id: string;
}

const OWN_KEYSET: Keyset = { createdAt: 'created_at', id: 'id' };

/**
 * Keyset condition: rows after (or before) the cursor row, which is looked up
 * by id through the query builder, so timestamps keep their full precision and
 * the tenant schema applies to the subquery too.
 */
function applyCursor(qb: AnyQuery, table: string, plan: PagePlan, keyset: Keyset): AnyQuery {
  if (!plan.cursorId) return qb;
  const op = plan.forward ? '<' : '>';
  return qb.where((eb) =>
    eb(eb.refTuple(keyset.createdAt, keyset.id), op, eb.selectFrom(`${table} as cursor_row`).select(['cursor_row.created_at', 'cursor_row.id']).where('cursor_row.id', '=', plan.cursorId)),
  );
}

const orderSql = (plan: PagePlan, keyset = OWN_KEYSET) => {
  const dir = plan.forward ? 'desc' : 'asc';
  return sql`${sql.ref(keyset.createdAt)} ${sql.raw(dir)}, ${sql.ref(keyset.id)} ${sql.raw(dir)}`;
};

/**
 * The columns a list reads, its JSONB ones as text parsed on first access
 * (src/db/lazy-json.ts). The page helpers cast that text in an outer query,
 * after the page is cut: in the page's own select list PostgreSQL casts every
 * row the filter matches before the sort keeps 21 of them (EXPLAIN ANALYZE, 1,500
 * of 100,000 mappings matching a GIN filter: 9.9 ms with the casts inside,
 * 2.4 ms outside; bench/README.md). Named as the row type `Row` names them.
 */
export interface ListColumns<Row = any> {
  /** Read as they are; they include `id` and `created_at`, the order of every list. */
  plain: readonly (keyof Row & string)[];
  json: readonly (keyof Row & string)[];
}

/**
 * What a page reads of `columns`: those the client's selection reads
 * (`args.columns`; all when not given) and the page's own `required` ones;
 * the rest are left unread.
 */
function readColumns(columns: ListColumns, args: PageArgs, required: readonly string[]): { read: ListColumns; unread: readonly string[] } {
  if (!args.columns) return { read: columns, unread: [] };
  const wanted = new Set([...required, ...args.columns]);
  const read = { plain: columns.plain.filter((c) => wanted.has(c)), json: columns.json.filter((c) => wanted.has(c)) };
  return { read, unread: [...columns.plain, ...columns.json].filter((c) => !wanted.has(c)) };
}

/** The columns a top-level page reads whatever the selection: ids (and cursors), and the order above the cut. */
const PAGE_COLUMNS = ['id', 'created_at'];

/** The outer select of a cut page: the plain columns, and the JSON ones as text under their own names. */
const castAfterCut = (columns: ListColumns, from: string) => [
  ...columns.plain.map((c) => `${from}.${c}`),
  ...columns.json.map((c) => jsonAsText(`${from}.${c}`).as(c)),
];

/** The list's columns as they are stored (the JSON ones too: cast after the cut, castAfterCut). */
const selectStored = (qb: AnyQuery, columns: ListColumns) => qb.select([...columns.plain, ...columns.json]);

/** The rows of a list as the DAO returns them: the list's columns, JSON parsed on first access. */
const lazyRows = <O>(rows: readonly object[], columns: ListColumns, unread: readonly string[]): O[] =>
  rows.map((row) => withLazyJson<O>(row, columns.plain, columns.json, unread));

/** How a top-level page is read besides its query: see fetchPage. */
export interface PageRead {
  /** The database handle the outer query (above the cut) is built on. */
  db: any;
  /** What the page reads; `qb` selects nothing yet. */
  columns: ListColumns;
  /** Other columns holding the rows' (created_at, id), to order and cut by. */
  keyset?: Keyset;
  /** A query selecting the list's row count as `count`; with `args.withTotalCount`, the page's statement runs it too. */
  count?: SelectQueryBuilder<any, any, { count: number }>;
}

/**
 * One page of a top-level list, newest first. `table` is the table the query
 * selects from. With `read`, the page reads `read.columns` (JSON as lazily
 * parsed text, cast after the cut), ordered and cut by `read.keyset`, and, when
 * the client asked for totalCount, counts the list in the same statement
 * (`read.count` as a scalar subquery of the outer select): the page carries
 * `totalCount` unless it came back empty after a cursor (then nothing was
 * counted).
 */
export async function fetchPage<O>(qb: SelectQueryBuilder<any, any, O>, table: string, args: PageArgs, read?: PageRead): Promise<Page<O>> {
  const plan = planPage(args);
  const keyset = read?.keyset ?? OWN_KEYSET;
  const reading = read && readColumns(read.columns, args, PAGE_COLUMNS);
  const columns = reading?.read;
  const listed = columns ? selectStored(qb, columns) : qb;
  // first: 0 still reads one row: hasNextPage must say whether any exist.
  const cut = applyCursor(listed, table, plan, keyset).orderBy(orderSql(plan, keyset)).limit(plan.limit + 1);
  const counted = args.withTotalCount && read?.count;
  let query = read ? read.db.selectFrom(cut.as('page')).select(castAfterCut(columns!, 'page')).orderBy(orderSql(plan)) : cut;
  if (counted) query = query.select(read.count!.as('page_total'));
  const rows = (await query.execute()) as { page_total?: number }[];
  // The count is read from the row pg returns; the rows the DAO returns are the list's columns only.
  const total = counted ? (rows[0]?.page_total ?? (plan.hasCursor ? undefined : 0)) : undefined;
  const page = toPage(reading ? lazyRows<O>(rows, reading.read, reading.unread) : (rows as O[]), plan);
  return total === undefined ? page : { ...page, totalCount: total };
}

/**
 * One page per parent in a single statement (row_number over each parent's
 * rows, cut in SQL), for nested connections such as workspace.mappings that a
 * DataLoader batches across parents. With `withTotalCount` and no cursor the
 * same statement also counts each parent's rows (`count(*) over` the
 * partition the page is cut from), so totalCount costs no statement of its own.
 */
export async function fetchPagesByParent<O>(
  db: any,
  qb: SelectQueryBuilder<any, any, O>,
  table: string,
  parentColumn: string,
  parentIds: readonly string[],
  args: PageArgs,
  listColumns: ListColumns,
): Promise<Map<string, Page<O>>> {
  const plan = planPage(args);
  const { read: columns, unread } = readColumns(listColumns, args, ['id', parentColumn]);
  const counted = Boolean(args.withTotalCount) && !plan.hasCursor;
  const grouped = new Map<string, O[]>(parentIds.map((id) => [id, []]));
  const totals = new Map<string, number>();
  if (parentIds.length > 0) {
    let ranked = applyCursor(selectStored(qb, columns), table, plan, OWN_KEYSET)
      .where(parentColumn, 'in', parentIds)
      .select(sql<number>`row_number() over (partition by ${sql.ref(parentColumn)} order by ${orderSql(plan)})`.as('page_rn'));
    if (counted) ranked = ranked.select(sql<number>`(count(*) over (partition by ${sql.ref(parentColumn)}))::int`.as('page_total'));
    // The rank cuts and orders the pages in SQL and is not read back; the count is read from the
    // row pg returns, and the row the DAO returns is the list's columns only (withLazyJson).
    const rows: (Record<string, unknown> & { page_total?: number })[] = await db
      .selectFrom(ranked.as('ranked'))
      .select([...castAfterCut(columns, 'ranked'), ...(counted ? ['page_total'] : [])])
      .where('page_rn', '<=', plan.limit + 1)
      .orderBy('page_rn')
      .execute();
    for (const row of rows) {
      const parent = row[parentColumn] as string;
      if (row.page_total !== undefined) totals.set(parent, row.page_total);
      grouped.get(parent)?.push(withLazyJson<O>(row, columns.plain, columns.json, unread));
    }
  }
  return new Map(
    [...grouped].map(([id, rows]) => {
      const page = toPage(rows, plan);
      return [id, counted ? { ...page, totalCount: totals.get(id) ?? 0 } : page];
    }),
  );
}

/** Row counts per parent in one statement (the connections' totalCount). */
export async function countByParent(
  qb: SelectQueryBuilder<any, any, unknown>,
  parentColumn: string,
  parentIds: readonly string[],
): Promise<Map<string, number>> {
  const rows: { parent: string; count: number }[] = parentIds.length
    ? await qb
        .where(parentColumn, 'in', parentIds)
        .select([sql<string>`${sql.ref(parentColumn)}`.as('parent'), sql<number>`count(*)::int`.as('count')])
        .groupBy(parentColumn)
        .execute()
    : [];
  const counts = new Map(parentIds.map((id) => [id, 0]));
  for (const r of rows) counts.set(r.parent, r.count);
  return counts;
}

/** The rows of `qb` counted, as a query selecting `count` (alone, or inside a page's statement: PageRead.count). */
export function countQuery(qb: SelectQueryBuilder<any, any, unknown>): SelectQueryBuilder<any, any, { count: number }> {
  return qb.select(sql<number>`count(*)::int`.as('count'));
}

/** How many rows a filtered query matches (the connections' totalCount). */
export async function countRows(qb: SelectQueryBuilder<any, any, unknown>): Promise<number> {
  return (await countQuery(qb).executeTakeFirstOrThrow()).count;
}
