import { sql, type RawBuilder } from 'kysely';

/**
 * JSONB read as text and parsed on first access. pg parses every JSON column
 * of every row it receives; lists (a dashboard's mappings, a page of jobs)
 * carry kilobytes of JSONB per row that most reads never show, and parsing it
 * was a large share of the API's CPU and garbage (bench/README.md). Rows keep
 * their type: the property is a getter that parses once and keeps the value,
 * so spreading, JSON.stringify and assignment behave as before.
 */
export function jsonAsText<T>(column: string): RawBuilder<T> {
  // column names come from the DAOs' constants, never from input
  return sql<T>`${sql.ref(column)}::text`;
}

/**
 * A lazy row's JSON columns, in a property spreading and JSON.stringify do not
 * see: each the text as read, until it is parsed (or assigned) and kept boxed.
 */
const JSON_COLUMNS = Symbol('json columns');

type Held = string | null | { value: unknown };
type LazyRow = Record<string | symbol, unknown> & { [JSON_COLUMNS]: Record<string, Held> };

/**
 * One getter and setter per column name, shared by every row, and the row's
 * properties never redefined: rows built with the same columns in the same
 * order share one hidden class and keep fast properties. (Redefining a data
 * property of pg's row as an accessor, a closure per row, or an accessor
 * turned back into a value, each made the row a slow dictionary object; the
 * first two were a tenth of a dashboard's garbage.)
 */
const accessors = new Map<string, PropertyDescriptor>();
function accessorFor(column: string): PropertyDescriptor {
  let accessor = accessors.get(column);
  if (!accessor) {
    accessor = {
      enumerable: true,
      configurable: true,
      get(this: LazyRow) {
        const columns = this[JSON_COLUMNS];
        const held = columns[column]!;
        if (typeof held !== 'string') return held === null ? null : held.value;
        const value: unknown = JSON.parse(held);
        columns[column] = { value };
        return value;
      },
      set(this: LazyRow, value: unknown) {
        this[JSON_COLUMNS][column] = { value };
      },
    };
    accessors.set(column, accessor);
  }
  return accessor;
}

/**
 * The columns a list did not read (PageArgs.columns): reading one is a bug in
 * what decided the client shows none, never a silent undefined. The getters
 * are on the rows' prototype (one per set of columns), so a row costs no
 * property definition, and a spread or JSON.stringify of it passes them by.
 */
const unreadPrototypes = new Map<string, object>();
// A page passes one array for all its rows: found by identity, not by joining it again for each row.
const unreadPrototypesByList = new WeakMap<readonly string[], object>();
function unreadPrototype(unread: readonly string[]): object {
  const known = unreadPrototypesByList.get(unread);
  if (known) return known;
  // Few sets: the lists' columns less those a selection reads.
  const key = unread.join(',');
  let prototype = unreadPrototypes.get(key);
  if (!prototype) {
    const getters: PropertyDescriptorMap = {};
    for (const column of unread) {
      getters[column] = {
        get() {
          throw new Error(`Column "${column}" was not read by this list (the selection was taken not to need it)`);
        },
      };
    }
    prototype = Object.create(Object.prototype, getters) as object;
    unreadPrototypes.set(key, prototype);
  }
  unreadPrototypesByList.set(unread, prototype);
  return prototype;
}

/**
 * A copy of `row` with its `plain` columns as they are and its `json` columns
 * (selected as text with jsonAsText) parsed on first access. Columns of `row`
 * named in neither list are left out; those named in `unread` throw when read.
 */
export function withLazyJson<R>(row: object, plain: readonly string[], json: readonly string[], unread: readonly string[] = []): R {
  const source = row as Record<string, unknown>;
  const copy: Record<string | symbol, unknown> = unread.length === 0 ? {} : Object.create(unreadPrototype(unread));
  for (const column of plain) copy[column] = source[column];
  if (json.length === 0) return copy as R;
  const held: Record<string, Held> = {};
  for (const column of json) held[column] = source[column] as string | null;
  Object.defineProperty(copy, JSON_COLUMNS, { value: held });
  for (const column of json) Object.defineProperty(copy, column, accessorFor(column));
  return copy as R;
}
