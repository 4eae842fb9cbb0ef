import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { PlatformDatabase } from '../../src/db/database.js';
import { readMigrations, TENANT_SNAPSHOT_FILE } from '../../src/db/migration-files.js';
import { MIGRATIONS_DIR } from './test-db.js';

/** Migration folders and schema probes for the database tests. */

/** A temp copy of migrations/, plus `extra` files (name → text) written beside them. */
export async function copyMigrations(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) await writeFile(path.join(dir, name), text);
  return dir;
}

/** A copy of the migrations folder that ends just before the file whose name ends with `suffix` (no tenant snapshot): a database at the version before a change. */
export async function migrationsBefore(suffix: string): Promise<string> {
  const dir = await copyMigrations();
  const files = (await readdir(dir)).filter((f) => /^v.*\.sql$/.test(f)).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const at = files.findIndex((f) => f.endsWith(suffix));
  if (at <= 0) throw new Error(`no migration after the first ends with ${suffix}`);
  for (const f of [...files.slice(at), TENANT_SNAPSHOT_FILE]) await rm(path.join(dir, f));
  return dir;
}

/** Column names of a table in one schema, from information_schema. */
export async function columnsOf(db: Kysely<PlatformDatabase>, schema: string, table: string): Promise<string[]> {
  // test: column names of a table
  const { rows } = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = ${schema} and table_name = ${table} order by ordinal_position`.execute(db);
  return rows.map((r) => r.column_name);
}

export async function schemaExists(db: Kysely<PlatformDatabase>, schema: string): Promise<boolean> {
  // test: does the schema exist
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = ${schema}`.execute(db);
  return rows[0]?.n === 1;
}

export async function tableExists(db: Kysely<PlatformDatabase>, qualifiedName: string): Promise<boolean> {
  // test: does the table exist
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${qualifiedName}) is not null as found`.execute(db);
  return rows[0]?.found ?? false;
}

/** The real folder's files as schema_version records them, oldest first. */
export async function folderHistory(): Promise<{ version: string; file_name: string }[]> {
  const files = await readMigrations(MIGRATIONS_DIR);
  return files.map((f) => ({ version: f.version, file_name: f.fileName }));
}

/** The name of a file that would extend the real folder's chain by one patch version. */
export async function nextMigrationName(description: string): Promise<{ name: string; version: string }> {
  const latest = (await readMigrations(MIGRATIONS_DIR)).at(-1)!.version;
  const [major, minor, patch] = latest.split('.').map(Number) as [number, number, number];
  const version = `${major}.${minor}.${patch + 1}`;
  return { name: `v${latest}_to_v${version}_${description}.sql`, version };
}

/** What a promise rejected with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
