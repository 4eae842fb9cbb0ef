import { sql } from 'kysely';
import type { TenantDb } from '../db/database.js';
import type { NewWorkspaceScheduleRow, WorkspaceScheduleRow, WorkspaceScheduleUpdate } from '../db/tables/workspace-schedules.table.js';

export function findSchedulesByWorkspaceIds(db: TenantDb, workspaceIds: readonly string[]): Promise<WorkspaceScheduleRow[]> {
  if (workspaceIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('workspace_schedules').selectAll().where('workspace_id', 'in', workspaceIds).execute();
}

export function findSchedule(db: TenantDb, workspaceId: string): Promise<WorkspaceScheduleRow | undefined> {
  return db.selectFrom('workspace_schedules').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
}

/** Creates the workspace's schedule or replaces its settings (the last tick's record stays). */
export function upsertSchedule(db: TenantDb, row: NewWorkspaceScheduleRow): Promise<WorkspaceScheduleRow> {
  return db
    .insertInto('workspace_schedules')
    .values(row)
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet({
        cron: (eb) => eb.ref('excluded.cron'),
        time_zone: (eb) => eb.ref('excluded.time_zone'),
        job_type: (eb) => eb.ref('excluded.job_type'),
        enabled: (eb) => eb.ref('excluded.enabled'),
        created_by: (eb) => eb.ref('excluded.created_by'),
        updated_at: sql`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function deleteSchedule(db: TenantDb, workspaceId: string): Promise<WorkspaceScheduleRow | undefined> {
  return db.deleteFrom('workspace_schedules').where('workspace_id', '=', workspaceId).returningAll().executeTakeFirst();
}

/** Records what a tick did. */
export async function recordTick(db: TenantDb, workspaceId: string, tick: Pick<WorkspaceScheduleUpdate, 'last_job_id' | 'last_problem'>): Promise<void> {
  await db
    .updateTable('workspace_schedules')
    .set({ ...tick, last_tick_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .execute();
}
