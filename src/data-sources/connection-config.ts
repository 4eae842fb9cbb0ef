import { z } from 'zod';
import type { Keyring, Sealed } from '../crypto/keyring.js';
import type { DataSourceType } from '../db/tables/data-sources.table.js';
import { parseInput } from '../validation.js';

/**
 * Connection settings per source type. Non-secret fields are stored as plain
 * JSON (snake_case, queryable); secret fields are sealed together with
 * AES-256-GCM under a per-record data key (src/crypto/keyring.ts), bound to the
 * organization and data source. Secrets never leave this module in clear
 * except to code that connects to the source.
 */

/** What a client sends in place of a secret it does not want to change. */
export const MASKED_SECRET = '********';

const host = z.string().trim().min(1).max(255);
const name = z.string().trim().min(1).max(255);
const secret = z.string().min(1).max(16_384).nullish();

export const CONNECTION_SCHEMAS = {
  postgresql: z.object({
    host,
    port: z.number().int().min(1).max(65535).default(5432),
    database: name,
    user: name,
    sslMode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).default('require'),
    password: secret,
  }),
  snowflake: z.object({
    account: name,
    warehouse: name,
    database: name,
    schema: name.nullish(),
    user: name,
    role: name.nullish(),
    password: secret,
    privateKey: secret,
  }),
  api: z.object({
    baseUrl: z.url({ protocol: /^https?$/ }).max(2000),
    authType: z.enum(['none', 'bearer', 'basic', 'api_key']).default('none'),
    username: name.nullish(),
    headers: z.record(z.string().max(200), z.string().max(2000)).nullish(),
    token: secret,
  }),
  file: z.object({
    format: z.enum(['csv', 'json', 'parquet']),
    location: z.string().trim().min(1).max(2000),
    delimiter: z.string().min(1).max(4).nullish(),
    hasHeader: z.boolean().nullish(),
  }),
} as const satisfies Record<DataSourceType, z.ZodObject>;

export const SECRET_FIELDS: Record<DataSourceType, readonly string[]> = {
  postgresql: ['password'],
  snowflake: ['password', 'privateKey'],
  api: ['token'],
  file: [],
};

export type ConnectionInput<T extends DataSourceType = DataSourceType> = z.input<(typeof CONNECTION_SCHEMAS)[T]>;

/** The stored JSONB: plain settings, the names of the secrets held, and the sealed secrets. */
export interface StoredConnectionConfig {
  [key: string]: unknown;
  secret_fields?: string[];
  secrets?: Sealed;
}

const toSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

export const credentialsAad = (organizationId: string, dataSourceId: string) => `datalinx:data_source:${organizationId}:${dataSourceId}`;

/**
 * Whose settings are sealed: a data source, or a workspace's warehouse. The
 * AAD binds the secrets to their owner, so a sealed blob copied onto another
 * record does not open.
 */
export type SecretOwner = { organizationId: string; dataSourceId: string } | { organizationId: string; workspaceId: string };

export const secretsAad = (owner: SecretOwner): string =>
  'dataSourceId' in owner ? credentialsAad(owner.organizationId, owner.dataSourceId) : `datalinx:workspace_warehouse:${owner.organizationId}:${owner.workspaceId}`;

/** A kind of settings: its zod schema and which of its fields are secret. */
export interface SettingsShape {
  schema: z.ZodType;
  secretFields: readonly string[];
}

const shapeOf = (sourceType: DataSourceType): SettingsShape => ({ schema: CONNECTION_SCHEMAS[sourceType], secretFields: SECRET_FIELDS[sourceType] });

/**
 * Validates and seals settings of any shape for storage (data sources,
 * warehouses). A secret that is omitted, null or the mask keeps the stored
 * value, so an edit form can send back what it showed. `path` names the input
 * in a ValidationError.
 */
export function sealSettings(
  keyring: Keyring,
  owner: SecretOwner,
  shape: SettingsShape,
  input: Record<string, unknown>,
  previous: StoredConnectionConfig | null | undefined,
  path: readonly (string | number)[],
): StoredConnectionConfig {
  const data = parseInput<Record<string, unknown>>(shape.schema as z.ZodType<Record<string, unknown>>, input, [...path]);
  const aad = secretsAad(owner);
  const kept = previous ? openSecrets(keyring, previous, aad) : {};
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!shape.secretFields.includes(key) && value !== undefined && value !== null) plain[toSnake(key)] = value;
  }
  // Every secret field, not only those in the input: a left-out secret has no key in `data`.
  for (const key of shape.secretFields) {
    const value = data[key];
    if (typeof value === 'string' && value !== MASKED_SECRET) secrets[key] = value;
    else if (kept[key] !== undefined) secrets[key] = kept[key];
  }
  const names = Object.keys(secrets).sort();
  if (names.length === 0) return plain;
  return { ...plain, secret_fields: names, secrets: keyring.seal(Buffer.from(JSON.stringify(secrets)), aad) };
}

/** Validates and seals a data source's connection config for storage (see sealSettings). */
export function sealConnectionConfig(
  keyring: Keyring,
  owner: { organizationId: string; dataSourceId: string },
  sourceType: DataSourceType,
  input: Record<string, unknown>,
  previous?: StoredConnectionConfig | null,
): StoredConnectionConfig {
  return sealSettings(keyring, owner, shapeOf(sourceType), input, previous, ['input', 'connectionConfig', sourceType]);
}

function openSecrets(keyring: Keyring, stored: StoredConnectionConfig, aad: string): Record<string, string> {
  if (!stored.secrets) return {};
  return JSON.parse(keyring.open(stored.secrets, aad).toString('utf8')) as Record<string, string>;
}

/** The secrets in clear, for code that connects to the source or warehouse (never for the API). */
export function revealSecrets(keyring: Keyring, owner: SecretOwner, stored: StoredConnectionConfig): Record<string, string> {
  return openSecrets(keyring, stored, secretsAad(owner));
}

/** The settings as their input shape (camelCase) with the secrets in clear, for code that connects (never for the API). */
export function openSettings(keyring: Keyring, owner: SecretOwner, stored: StoredConnectionConfig): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (key !== 'secrets' && key !== 'secret_fields') plain[toCamel(key)] = value;
  }
  return { ...plain, ...revealSecrets(keyring, owner, stored) };
}

/** Re-seals the secrets under the keyring's current key (rotation). */
export function resealConnectionConfig(keyring: Keyring, owner: SecretOwner, stored: StoredConnectionConfig): StoredConnectionConfig {
  if (!stored.secrets || stored.secrets.kid === keyring.currentId) return stored;
  const aad = secretsAad(owner);
  return { ...stored, secrets: keyring.seal(keyring.open(stored.secrets, aad), aad) };
}

/** What the API shows of stored settings: plain settings in camelCase and `has<Secret>` flags; no secret values. */
export function settingsView(secretFields: readonly string[], stored: StoredConnectionConfig): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (key === 'secrets' || key === 'secret_fields') continue;
    view[toCamel(key)] = value;
  }
  for (const field of secretFields) {
    delete view[field];
    view[`has${field.charAt(0).toUpperCase()}${field.slice(1)}`] = (stored.secret_fields ?? []).includes(field);
  }
  return view;
}

/** What the API shows of a data source's connection config (see settingsView), with its type. */
export function connectionConfigView(sourceType: DataSourceType, stored: StoredConnectionConfig): Record<string, unknown> & { sourceType: DataSourceType } {
  return { ...settingsView(SECRET_FIELDS[sourceType], stored), sourceType };
}
