import { z } from 'zod';
import type { Keyring } from '../crypto/keyring.js';
import {
  CONNECTION_SCHEMAS,
  openSettings,
  resealConnectionConfig,
  SECRET_FIELDS,
  sealSettings,
  settingsView,
  type SettingsShape,
  type StoredConnectionConfig,
} from '../data-sources/connection-config.js';
import type { StoredWarehouse } from '../db/tables/workspaces.table.js';
import { ValidationError } from '../errors.js';
import { WAREHOUSE_DIALECTS, type WarehouseDialect } from '../workspaces/warehouse-dialects.js';

/**
 * A workspace's target warehouse: its dialect, the schema loads go into, and
 * connection settings sealed exactly like a data source's (the same code, in
 * src/data-sources/connection-config.ts), bound to the organization and the
 * workspace. PostgreSQL and Snowflake take the data-source settings shapes;
 * BigQuery and Databricks have shapes of their own here. Only PostgreSQL
 * warehouses are connected to by this deployment.
 */

const name = z.string().trim().min(1).max(255);
const secret = z.string().min(1).max(65_536).nullish();

export const WAREHOUSE_SHAPES: Record<WarehouseDialect, SettingsShape> = {
  postgresql: { schema: CONNECTION_SCHEMAS.postgresql, secretFields: SECRET_FIELDS.postgresql },
  snowflake: { schema: CONNECTION_SCHEMAS.snowflake, secretFields: SECRET_FIELDS.snowflake },
  bigquery: {
    schema: z.object({ projectId: name, location: name.nullish(), serviceAccountKey: secret }),
    secretFields: ['serviceAccountKey'],
  },
  databricks: {
    schema: z.object({ host: name, httpPath: z.string().trim().min(1).max(1000), catalog: name.nullish(), token: secret }),
    secretFields: ['token'],
  },
};

/** A schema name the warehouse can hold without quoting tricks: PostgreSQL's 63-byte identifier limit. */
const TargetSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be an identifier of at most 63 characters (letters, digits, underscores; not starting with a digit)');

export interface WarehouseInput {
  dialect: WarehouseDialect;
  targetSchema: string;
  connectionConfig: Partial<Record<WarehouseDialect, Record<string, unknown> | null>>;
}

const warehouseOwner = (organizationId: string, workspaceId: string) => ({ organizationId, workspaceId });
const PATH = ['input', 'warehouse'] as const;

/**
 * Validates and seals a warehouse for storage. A secret left out or sent as
 * the mask keeps the stored one, when the stored warehouse has the same dialect.
 */
export function sealWarehouse(
  keyring: Keyring,
  organizationId: string,
  workspaceId: string,
  input: WarehouseInput,
  previous: StoredWarehouse | null,
): StoredWarehouse {
  const given = Object.entries(input.connectionConfig ?? {}).filter(([, v]) => v != null);
  if (given.length !== 1 || given[0]![0] !== input.dialect) {
    throw new ValidationError(`connectionConfig must set exactly one field, ${input.dialect} (the dialect)`, [...PATH, 'connectionConfig']);
  }
  const target = TargetSchema.safeParse(input.targetSchema);
  if (!target.success) throw new ValidationError(`Target schema ${target.error.issues[0]!.message}`, [...PATH, 'targetSchema']);
  const kept = previous?.dialect === input.dialect ? (previous.connection_config as StoredConnectionConfig) : null;
  const sealed = sealSettings(keyring, warehouseOwner(organizationId, workspaceId), WAREHOUSE_SHAPES[input.dialect], given[0]![1]!, kept, [
    ...PATH,
    'connectionConfig',
    input.dialect,
  ]);
  return { dialect: input.dialect, target_schema: target.data, connection_config: sealed };
}

const dialectOf = (stored: StoredWarehouse): WarehouseDialect =>
  (WAREHOUSE_DIALECTS as readonly string[]).includes(stored.dialect) ? (stored.dialect as WarehouseDialect) : 'postgresql';

/** What the API shows: dialect, target schema, plain settings and `has<Secret>` flags; no secret values. */
export interface WarehouseView {
  dialect: WarehouseDialect;
  targetSchema: string;
  connectionConfig: Record<string, unknown> & { dialect: WarehouseDialect };
}

export function warehouseView(stored: StoredWarehouse): WarehouseView {
  const dialect = dialectOf(stored);
  const view = settingsView(WAREHOUSE_SHAPES[dialect].secretFields, stored.connection_config as StoredConnectionConfig);
  return { dialect, targetSchema: stored.target_schema, connectionConfig: { ...view, dialect } };
}

/** The settings as their input shape with the secrets in clear, for code that connects. */
export function openWarehouseSettings(keyring: Keyring, organizationId: string, workspaceId: string, stored: StoredWarehouse): Record<string, unknown> {
  return openSettings(keyring, warehouseOwner(organizationId, workspaceId), stored.connection_config as StoredConnectionConfig);
}

/** Re-seals the warehouse secrets under the keyring's current key (rotation). */
export function resealWarehouse(keyring: Keyring, organizationId: string, workspaceId: string, stored: StoredWarehouse): StoredWarehouse {
  const connection = resealConnectionConfig(keyring, warehouseOwner(organizationId, workspaceId), stored.connection_config as StoredConnectionConfig);
  return { ...stored, connection_config: connection };
}
