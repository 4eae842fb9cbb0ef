import type { PostgresSettings, SslMode } from '../connectors/index.js';
import type { Keyring } from '../crypto/keyring.js';
import type { DataSourceRow } from '../db/tables/data-sources.table.js';
import { UnsupportedSourceError, ValidationError } from '../errors.js';
import { CONNECTION_SCHEMAS, revealSecrets, type StoredConnectionConfig } from './connection-config.js';

/*
 * Connection settings with their secrets in clear, for code that connects to a
 * source (connection tests, discovery, workers). No actor check here: callers
 * check roles; nothing from this module may reach a response, log or audit entry.
 */

const toCamel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A data source's settings as its type's connection input (camelCase), secrets in clear. */
export function settingsOf(keyring: Keyring, organizationId: string, row: Pick<DataSourceRow, 'id' | 'source_type' | 'connection_config'>): Record<string, unknown> {
  const stored = row.connection_config as StoredConnectionConfig;
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (key !== 'secrets' && key !== 'secret_fields') plain[toCamel(key)] = value;
  }
  return { ...plain, ...revealSecrets(keyring, { organizationId, dataSourceId: row.id }, stored) };
}

/** Typed PostgreSQL settings from a validated connection input (see CONNECTION_SCHEMAS.postgresql). */
export function postgresSettingsFrom(config: Record<string, unknown>, path: readonly (string | number)[] = ['connectionConfig', 'postgresql']): PostgresSettings {
  const parsed = CONNECTION_SCHEMAS.postgresql.safeParse(config);
  if (!parsed.success) throw new ValidationError('The PostgreSQL settings are incomplete or invalid', path);
  const c = parsed.data;
  return { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password ?? null, sslMode: c.sslMode as SslMode };
}

/**
 * The PostgreSQL connection settings of a data source, password in clear —
 * for workers and previews that connect to it. Throws UnsupportedSourceError
 * for a source of another type.
 */
export function postgresSettingsOf(keyring: Keyring, organizationId: string, row: Pick<DataSourceRow, 'id' | 'source_type' | 'connection_config'>): PostgresSettings {
  if (row.source_type !== 'postgresql') throw new UnsupportedSourceError(row.source_type, 'Connecting');
  return postgresSettingsFrom(settingsOf(keyring, organizationId, row));
}

