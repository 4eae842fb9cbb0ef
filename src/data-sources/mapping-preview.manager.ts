import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import { closeQuietly, connectPostgres, previewRows, scrub, takeConnectionAttempt, type PreviewColumn } from '../connectors/index.js';
import { NotFoundError, UnsupportedSourceError, ValidationError } from '../errors.js';
import { activeSourcesOfWorkspace, type MappingSourceRow } from '../mappings/mapping-source.dao.js';
import { catalogAmong, definitionOfInput, loadMapping, sourceWithTable, type MappingDraftInput } from '../mappings/mapping-sql.manager.js';
import { compileMapping, definitionOfRow, validateDefinition, type MappingDefinition, type MappingProblem } from '../mappings/sql/index.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import { postgresSettingsOf } from './source-settings.js';

/**
 * A mapping's first rows, read from its PostgreSQL source: the POSTGRESQL
 * compilation run in a read-only transaction (always rolled back) under
 * SOURCE_PREVIEW_TIMEOUT_MS, at most 100 rows. A mapping that is not valid
 * (validateMapping's problems) or does not compile is not run: its problems
 * are the answer. An error of the source (a bad cast
 * on real data, a missing table, the timeout) is a problem too, not an
 * exception; failing to connect is a SourceConnectionError, and a source of
 * another type an UnsupportedSourceError. Editors and above (it reads the
 * customer's data); each preview counts against the organization's connection
 * rate limit and writes one audit entry.
 *
 * Which source: the active one whose cached schema has the source table, else
 * the oldest active PostgreSQL source, else (only sources of other types) an
 * UnsupportedSourceError.
 */

export const PREVIEW_MAX_ROWS = 100;
export const PREVIEW_DEFAULT_ROWS = 20;

export interface MappingPreview {
  /** The data source the rows were read from; null when nothing ran. */
  dataSourceId: string | null;
  /** The SELECT that ran (the POSTGRESQL compilation); null when the mapping does not compile. */
  sql: string | null;
  columns: PreviewColumn[];
  /** Each row as an object keyed by column name, in column order. */
  rows: Record<string, unknown>[];
  /** True when the source had more rows than the limit. */
  truncated: boolean;
  durationMs: number | null;
  problems: MappingProblem[];
}

function rowLimit(limit: number | null | undefined): number {
  const n = limit ?? PREVIEW_DEFAULT_ROWS;
  if (!Number.isInteger(n) || n < 1 || n > PREVIEW_MAX_ROWS) throw new ValidationError(`limit must be between 1 and ${PREVIEW_MAX_ROWS}`, ['limit']);
  return n;
}

function sourceFor(sources: MappingSourceRow[], sourceTable: string): MappingSourceRow {
  const source = sourceWithTable(sources, sourceTable) ?? sources.find((s) => s.source_type === 'postgresql') ?? sources[0];
  if (!source) throw new ValidationError('the workspace has no active data source to preview against', ['workspaceId']);
  if (source.source_type !== 'postgresql') throw new UnsupportedSourceError(source.source_type, 'Previewing a mapping');
  return source;
}

const problem = (code: MappingProblem['code'], message: string): MappingProblem => ({ path: [], code, message, position: null, suggestion: null });

async function preview(scope: RequestScope, workspaceId: string, def: MappingDefinition, entity: { type: string; id: string | null }, limit: number): Promise<MappingPreview> {
  const sources = await activeSourcesOfWorkspace(scope.tenant.db, workspaceId);
  const nothingRan = (problems: MappingProblem[]): MappingPreview => ({ dataSourceId: null, sql: null, columns: [], rows: [], truncated: false, durationMs: null, problems });
  // Checked as validateMapping checks it (the cached schema's columns, with near names), then compiled.
  const invalid = await validateDefinition(def, catalogAmong(sources, def.sourceTable));
  if (invalid.length > 0) return nothingRan(invalid);
  const compiled = await compileMapping(def, 'postgresql');
  if (!compiled.sql) return nothingRan(compiled.problems);
  const source = sourceFor(sources, def.sourceTable);
  const { keyring, connectors } = scope.services;
  const settings = postgresSettingsOf(keyring, scope.tenant.organizationId, source);
  takeConnectionAttempt(connectors.limiter, scope.tenant.organizationId);
  const started = performance.now();
  const result: MappingPreview = { dataSourceId: source.id, sql: compiled.sql, columns: [], rows: [], truncated: false, durationMs: null, problems: [] };
  const client = await connectPostgres(settings, {
    policy: connectors.policy,
    connectTimeoutMs: connectors.connectTimeoutMs,
    statementTimeoutMs: connectors.previewTimeoutMs,
    applicationName: 'datalinx-mapping-preview',
  });
  try {
    const read = await previewRows(client, compiled.sql, limit);
    result.columns = read.columns;
    result.rows = read.rows.map((r) => Object.fromEntries(read.columns.map((c, i) => [c.name, r[i]])));
    result.truncated = read.truncated;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    // Only the source's own SQL errors are shown (scrubbed); anything else is ours, and masked upstream.
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) throw error;
    result.problems.push(
      code === '57014'
        ? problem('timeout', `the preview ran longer than ${connectors.previewTimeoutMs} ms and was cancelled (SOURCE_PREVIEW_TIMEOUT_MS)`)
        : problem('source_error', `the source answered ${code}: ${scrub(String(message), [settings.password])}`),
    );
  } finally {
    await closeQuietly(client);
  }
  result.durationMs = Math.round(performance.now() - started);
  await scope.tenant.transaction(({ platform }) =>
    recordAudit(platform, auditSource(scope), {
      action: 'mapping.preview',
      entityType: entity.type,
      entityId: entity.id,
      after: { data_source_id: source.id, rows: result.rows.length, truncated: result.truncated, problems: result.problems.map((p) => p.code), duration_ms: result.durationMs },
    }),
  );
  return result;
}

export async function previewMapping(scope: RequestScope, id: string, limit?: number | null): Promise<MappingPreview> {
  requireRole(scope.actor, 'editor', 'preview mappings');
  const n = rowLimit(limit);
  const row = await loadMapping(scope, id);
  return preview(scope, row.workspace_id, definitionOfRow(row), { type: 'Mapping', id: row.id }, n);
}

export async function previewMappingInput(scope: RequestScope, input: MappingDraftInput, limit?: number | null): Promise<MappingPreview> {
  requireRole(scope.actor, 'editor', 'preview mappings');
  const n = rowLimit(limit);
  const def = definitionOfInput(input);
  if (!(await findWorkspaceById(scope.tenant.db, input.workspaceId))) throw new NotFoundError('Workspace', input.workspaceId);
  return preview(scope, input.workspaceId, def, { type: 'Workspace', id: input.workspaceId }, n);
}
