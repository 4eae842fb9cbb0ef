import { sql, type RawBuilder } from 'kysely';

/**
 * JSONB read as text and parsed on first access. pg parses every JSON column
 * of every row it receives; lists (a dashboard's mappings, a page of jobs)
 * carry kilobytes of JSONB per row that most reads never show, and parsing it
 * was a large share of the API's CPU and garbage (bench/README.md). Rows keep
 * their type: the property is a getter that parses once and then becomes a
 * plain value, so spreading, JSON.stringify and assignment behave as before.
 */
export function jsonAsText<T>(column: string): RawBuilder<T> {
  // column names come from the DAOs' constants, never from input
  return sql<T>`${sql.ref(column)}::text`;
}

/** The JSON text of a lazy row's columns, in a property spreading and JSON.stringify do not see. */
const TEXT = Symbol('json text');

type LazyRow = Record<string | symbol, unknown> & { [TEXT]: Record<string, string | null> };

const settle = (row: object, column: string, value: unknown) =>
  Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });

/**
 * One getter and setter per column name, shared by every row: rows built with
 * the same columns in the same order then share one hidden class and keep
 * fast properties. (Redefining a data property of pg's row as an accessor, or
 * a closure per row, turned each row into a slow dictionary object and was a
 * tenth of a dashboard's garbage.)
 */
const accessors = new Map<string, PropertyDescriptor>();
function accessorFor(column: string): PropertyDescriptor {
  let accessor = accessors.get(column);
  if (!accessor) {
    accessor = {
      enumerable: true,
      configurable: true,
      get(this: LazyRow) {
        const text = this[TEXT][column];
        const value: unknown = text == null ? null : JSON.parse(text);
        settle(this, column, value);
        return value;
      },
      set(this: LazyRow, value: unknown) {
        settle(this, column, value);
      },
    };
    accessors.set(column, accessor);
  }
  return accessor;
}

/**
 * A copy of `row` with its `plain` columns as they are and its `json` columns
 * (selected as text with jsonAsText) parsed on first access. Columns of `row`
 * named in neither list are left out.
 */
export function withLazyJson<R>(row: object, plain: readonly string[], json: readonly string[]): R {
  const source = row as Record<string, unknown>;
  const copy: Record<string | symbol, unknown> = {};
  for (const column of plain) copy[column] = source[column];
  const text: Record<string, string | null> = {};
  for (const column of json) text[column] = source[column] as string | null;
  Object.defineProperty(copy, TEXT, { value: text });
  for (const column of json) Object.defineProperty(copy, column, accessorFor(column));
  return copy as R;
}
