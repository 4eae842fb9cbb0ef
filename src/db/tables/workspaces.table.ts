import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CreatedAt, Json, UpdatedAt } from './organizations.table.js';

export interface WorkspacesTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  target_schema_id: string | null;
  github_repo_url: string | null;
  repo_subdirectory: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  settings: ColumnType<Record<string, unknown>, Record<string, unknown> | string | undefined, Record<string, unknown> | string>;
}

export type WorkspaceRow = Selectable<WorkspacesTable>;
export type NewWorkspaceRow = Insertable<WorkspacesTable>;
export type WorkspaceUpdate = Updateable<WorkspacesTable>;
export type { Json };
