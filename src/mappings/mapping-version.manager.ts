import type { Actor } from '../auth/actor.js';
import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import type { TenantDb } from '../db/database.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { MappingVersionRow } from '../db/tables/mapping-versions.table.js';
import type { MappingRow } from '../db/tables/mappings.table.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { diffMappingStates, type MappingDiff, type MappingState } from './mapping-diff.js';
import * as mappings from './mapping.dao.js';
import { assertStaysValid } from './mapping-sql.manager.js';
import * as dao from './mapping-version.dao.js';
import { checkIncremental } from './mapping-incremental.js';

/**
 * A mapping's history. Every state is stored, version 1 (its creation) and
 * the current one included, so `versions` lists everything a user can compare
 * or restore; the newest stored version always equals the mapping itself.
 */

/** Who made a state: the user's id; service accounts and the system are not users. */
const authorOf = (actor: Actor): string | null => (actor.kind === 'user' ? actor.id : null);

/**
 * Stores `row` (the mapping just created or changed) as its version. Call it
 * in the transaction that wrote the row, so the change and its version commit
 * together or not at all.
 */
export async function keepMappingVersion(tenant: TenantDb, row: MappingRow, actor: Actor): Promise<void> {
  await dao.insertMappingVersion(tenant, row, authorOf(actor));
}

export function mappingVersionPages(scope: RequestScope, mappingIds: readonly string[], _filter: null, args: PageArgs): Promise<Map<string, Page<MappingVersionRow>>> {
  return dao.versionPagesByMappingIds(scope.tenant.db, mappingIds, args);
}

export function mappingVersionCounts(scope: RequestScope, mappingIds: readonly string[]): Promise<Map<string, number>> {
  return dao.versionCountsByMappingIds(scope.tenant.db, mappingIds);
}

const checkVersion = (value: number, arg: string) => {
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(`"${arg}" must be a version number (1 or more)`, [arg]);
};

async function statesOf(db: TenantDb, mappingId: string, wanted: Record<string, number>): Promise<Record<string, MappingVersionRow>> {
  const rows = await dao.findMappingVersions(db, mappingId, [...new Set(Object.values(wanted))]);
  return Object.fromEntries(
    Object.entries(wanted).map(([arg, version]) => {
      const row = rows.find((r) => r.version === version);
      if (!row) throw new NotFoundError('MappingVersion', `${version} of mapping ${mappingId}`);
      return [arg, row];
    }),
  );
}

/** The changes from one stored version of a mapping to another (either order). Any role. */
export async function diffMappingVersions(scope: RequestScope, mappingId: string, fromVersion: number, toVersion: number): Promise<MappingDiff> {
  checkVersion(fromVersion, 'fromVersion');
  checkVersion(toVersion, 'toVersion');
  const { fromVersion: from, toVersion: to } = await statesOf(scope.tenant.db, mappingId, { fromVersion, toVersion });
  return diffMappingStates(fromVersion, from!, toVersion, to!);
}

const audited = (m: MappingState & { version: number }) => ({
  target_table: m.target_table,
  source_table: m.source_table,
  field_mappings: m.field_mappings,
  decorators: m.decorators,
  cte_definitions: m.cte_definitions,
  status: m.status,
  version: m.version,
});

/**
 * Makes the content of an old version (tables, field mappings, decorators,
 * CTEs) current again, as a new version, if the mapping is still at
 * `expectedVersion` — the same optimistic rule as updateMapping. The status
 * is not restored: it only moves forward (draft → active → archived), through
 * setMappingStatus. An archived mapping cannot be changed.
 */
export async function restoreMappingVersion(scope: RequestScope, id: string, version: number, expectedVersion: number): Promise<MappingRow> {
  requireRole(scope.actor, 'editor', 'restore mapping versions');
  checkVersion(version, 'version');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await mappings.findMappingById(tenant, id);
    if (!before) throw new NotFoundError('Mapping', id);
    if (before.status === 'archived') throw new ConflictError('An archived mapping cannot be changed', { currentStatus: before.status });
    const { version: old } = await statesOf(tenant, id, { version });
    // Versions do not carry the incremental settings: the current ones must still fit the restored fields.
    checkIncremental(before.incremental, old!.field_mappings, old!.decorators);
    const changes = changedColumns(before, {
      target_table: old!.target_table,
      source_table: old!.source_table,
      field_mappings: old!.field_mappings,
      decorators: old!.decorators,
      cte_definitions: old!.cte_definitions,
    });
    if (isUnchanged(changes) && before.version === expectedVersion) return before;
    if (!isUnchanged(changes) && before.version === expectedVersion) await assertStaysValid(scope, before, changes);
    const after = isUnchanged(changes) ? undefined : await mappings.updateMappingAtVersion(tenant, id, expectedVersion, changes);
    if (!after) {
      const current = await mappings.findMappingById(tenant, id);
      const currentVersion = current?.version ?? before.version;
      throw new ConflictError(`Mapping was changed by someone else: expected version ${expectedVersion}, current version is ${currentVersion}`, { currentVersion });
    }
    await keepMappingVersion(tenant, after, scope.actor);
    await recordAudit(platform, auditSource(scope), {
      action: 'mapping.restoreVersion',
      entityType: 'Mapping',
      entityId: id,
      before: audited(before),
      after: { ...audited(after), restored_version: version },
    });
    return after;
  });
}
