import type pg from 'pg';

/** One statement as a connection sent it: text, parameters, and what it cost the caller. */
export interface CapturedStatement {
  text: string;
  values: unknown[];
  ms: number;
  rows: number | null;
}

export interface StatementRecorder {
  /** What was sent while recording, in the order it was sent. */
  readonly statements: CapturedStatement[];
  recording: boolean;
}

/**
 * Records every statement sent through `pool` while `recording` is on, at the
 * driver (below Kysely, DataLoader and transactions), so nothing a request
 * issues escapes it. Install it before the pool opens its first connection.
 */
export function recordStatements(pool: pg.Pool): StatementRecorder {
  const recorder: StatementRecorder = { statements: [], recording: false };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      if (!recorder.recording) return query(...args);
      const [first, second] = args;
      const config = typeof first === 'string' ? { text: first, values: second } : (first as { text?: string; values?: unknown[] });
      const entry: CapturedStatement = { text: config.text ?? '', values: Array.isArray(config.values) ? [...config.values] : [], ms: 0, rows: null };
      recorder.statements.push(entry);
      const start = performance.now();
      const result = query(...args);
      if (result instanceof Promise) {
        void result.then(
          (r: { rowCount?: number | null; rows?: unknown[] }) => {
            entry.ms = performance.now() - start;
            entry.rows = r?.rowCount ?? r?.rows?.length ?? null;
          },
          () => (entry.ms = performance.now() - start),
        );
      }
      return result;
    };
  });
  return recorder;
}
