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

/** Turns the text of `columns` (selected with jsonAsText) into lazily parsed values, in place. */
export function parseJsonLazily<R extends object>(row: R, columns: readonly (keyof R & string)[]): R {
  for (const column of columns) {
    const text = row[column] as unknown;
    if (typeof text !== 'string') continue;
    Object.defineProperty(row, column, {
      enumerable: true,
      configurable: true,
      get() {
        const value: unknown = JSON.parse(text);
        Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
      set(value: unknown) {
        Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
      },
    });
  }
  return row;
}
