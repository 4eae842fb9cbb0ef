/**
 * run_metadata as the API shows it: the keys runners report, typed, and the
 * rest as JSON. Stored keys are snake_case.
 */
export interface RunMetadata {
  rowsProcessed: number | null;
  rowsFailed: number | null;
  durationMs: number | null;
  warehouseQueryId: string | null;
  cancelledBy: string | null;
  /** What queued it when nobody asked directly: "schedule". */
  triggeredBy: string | null;
  extra: Record<string, unknown>;
}

const KNOWN = {
  rows_processed: 'rowsProcessed',
  rows_failed: 'rowsFailed',
  duration_ms: 'durationMs',
  warehouse_query_id: 'warehouseQueryId',
  cancelled_by: 'cancelledBy',
  triggered_by: 'triggeredBy',
} as const;

const isInt32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31;

export function toRunMetadata(stored: Record<string, unknown> | null | undefined): RunMetadata {
  const meta: RunMetadata = { rowsProcessed: null, rowsFailed: null, durationMs: null, warehouseQueryId: null, cancelledBy: null, triggeredBy: null, extra: {} };
  for (const [key, value] of Object.entries(stored ?? {})) {
    const field = KNOWN[key as keyof typeof KNOWN];
    const numeric = field === 'rowsProcessed' || field === 'rowsFailed' || field === 'durationMs';
    // The typed fields are GraphQL Ints: a value they cannot hold (2^31 rows, 12.5 ms) stays under `extra`.
    if (field && (numeric ? isInt32(value) : typeof value === 'string')) (meta as unknown as Record<string, unknown>)[field] = value;
    else meta.extra[key] = value;
  }
  return meta;
}
