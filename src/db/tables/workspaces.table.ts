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
  /** The target warehouse (src/warehouses); null when none is configured. */
  warehouse: ColumnType<StoredWarehouse | null, StoredWarehouse | string | null | undefined, StoredWarehouse | string | null>;
}

/** The stored shape of workspaces.warehouse; connection_config is sealed like a data source's. */
export interface StoredWarehouse {
  dialect: string;
  target_schema: string;
  connection_config: Record<string, unknown>;
}

export type WorkspaceRow = Selectable<WorkspacesTable>;
export type NewWorkspaceRow = Insertable<WorkspacesTable>;
export type WorkspaceUpdate = Updateable<WorkspacesTable>;
export type { Json };
