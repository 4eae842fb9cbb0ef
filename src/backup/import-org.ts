import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { sql, type Transaction } from 'kysely';
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { recordAudit } from '../audit/audit.js';
import { singleClientDb } from '../db/connection.js';
import { PLATFORM_SCHEMA, type PlatformDatabase } from '../db/database.js';
import { compareVersions, type MigrationFile } from '../db/migration-files.js';
import { applyTenantSection, MIGRATION_LOCK_KEY } from '../db/migrator.js';
import { ConflictError } from '../errors.js';
import { rebuildFieldSources } from '../mappings/mapping-field-source.dao.js';
import { assertSchemaName, quoteIdent, schemaNameForSlug, tenantDb } from '../tenancy/tenancy.js';
import { decryptingStream, isEncrypted } from './archive-crypto.js';
import { ArchiveError, readArchive, type ArchiveHeader, type ArchiveManifest, type TableBegin } from './archive-format.js';
import { copyIn, disableImportedSchedules, PLATFORM_TABLES, schemaVersions, tableColumns } from './backup.dao.js';

export interface ImportResult {
  organization: { id: string; slug: string; schemaName: string };
  manifest: ArchiveManifest;
  /** Tenant migrations applied after loading, when the file was older than the database. */
  migratedFrom: string | null;
  /** Schedules that were enabled in the file, imported disabled (enable them again with setWorkspaceSchedule). */
  schedulesDisabled: number;
}

const STAGED_ORGANIZATIONS = 'dlx_import_organizations';

/** One line an operator can act on, for the unique keys an import can run into. */
function collision(err: unknown, slug: string): unknown {
  const { code, constraint } = (err ?? {}) as { code?: string; constraint?: string };
  if (code !== '23505') return err;
  const what: Record<string, string> = {
    organizations_pkey: 'an organization with the same id (delete it first, or import into another database)',
    organizations_slug_key: `an organization with the slug "${slug}" (choose another with --slug)`,
    organizations_schema_name_key: `an organization with the slug "${slug}" (choose another with --slug)`,
    users_pkey: 'a user with the same id as one in the file',
    users_email_key: 'a user with the same email as one in the file',
    service_account_keys_prefix_key: 'a service account key with the same prefix as one in the file',
  };
  return new ConflictError(`this database already has ${what[constraint ?? ''] ?? `a row that collides with the file (${constraint ?? 'unique key'})`}`);
}

function checkVersions(header: ArchiveHeader, databaseVersion: string): void {
  for (const version of [header.schemaVersion, header.tenantSchemaVersion]) {
    if (compareVersions(version, databaseVersion) > 0) {
      throw new ArchiveError(`the file is at schema version ${version}, newer than this database's ${databaseVersion}: upgrade Datalinx first`);
    }
  }
}

class TableLoader {
  private failure: Error | null = null;

  private constructor(
    readonly begin: TableBegin,
    private readonly stream: CopyStreamQuery,
  ) {
    stream.on('error', (err) => (this.failure ??= err));
  }

  static start(client: pg.PoolClient, begin: TableBegin, statement: string): TableLoader {
    return new TableLoader(begin, client.query(copyFrom(statement)));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Sends CopyFail so the session leaves COPY and the transaction can roll back. */
  async abort(): Promise<void> {
    this.stream.destroy(new Error('import aborted'));
    await finished(this.stream).catch(() => {});
  }

  async end(expectedRows: number): Promise<void> {
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
    if (this.stream.rowCount !== expectedRows) {
      throw new ArchiveError(`${this.begin.table}: loaded ${this.stream.rowCount} rows, the file lists ${expectedRows}`);
    }
  }
}

/** Refuses a table or column the target does not have: the file names them, so they are checked, never trusted. */
function checkColumns(begin: TableBegin, available: Map<string, string[]> | null): void {
  const known = available?.get(begin.table);
  if (!known) throw new ArchiveError(`the file has a table this database does not know: ${begin.scope} ${begin.table}`);
  const unknown = begin.columns.filter((c) => !known.includes(c));
  if (unknown.length) throw new ArchiveError(`the file's ${begin.table} has columns this database does not know: ${unknown.join(', ')}`);
}

/**
 * Recreates an organization from an archive in one transaction: its row
 * (under `slug`, or the file's), its schema built at the file's tenant version,
 * every table loaded with COPY, then the tenant migrations the file predates.
 * Nothing is committed before the reader has proven the whole file intact.
 */
export async function importOrganization(
  system: { pool: pg.Pool; migrations: readonly MigrationFile[] },
  input: Readable,
  opts: { slug?: string } = {},
): Promise<ImportResult> {
  const events = readArchive(input);
  const first = await events.next();
  if (first.done || first.value.kind !== 'header') throw new ArchiveError('the file is damaged (no header)');
  const header = first.value.header;
  const slug = opts.slug ?? header.organization.slug;
  const schemaName = schemaNameForSlug(slug);

  const client = await system.pool.connect();
  const db = singleClientDb(client);
  try {
    return await db.transaction().execute(async (trx) => {
      // Keeps a migration run from changing the chain while this schema is built.
      await sql`select pg_advisory_xact_lock_shared(${MIGRATION_LOCK_KEY})`.execute(trx);
      const versions = await schemaVersions(trx);
      checkVersions(header, versions.platform);
      const applied = (await trx.withSchema(PLATFORM_SCHEMA).selectFrom('schema_version').select('version').execute()).map((r) => r.version);
      const tenantFiles = system.migrations.filter((f) => f.sections.tenant && applied.includes(f.version));
      const platformColumns = await tableColumns(trx, PLATFORM_SCHEMA);
      let tenantColumns: Map<string, string[]> | null = null;
      let loader: TableLoader | null = null;
      let manifest: ArchiveManifest | null = null;

      try {
        for await (const event of events) {
          switch (event.kind) {
            case 'tableBegin': {
              const begin = event.table;
              if (begin.scope === 'platform') {
                if (!PLATFORM_TABLES.some((t) => t.table === begin.table)) throw new ArchiveError(`the file has an unexpected platform table: ${begin.table}`);
                checkColumns(begin, platformColumns);
                if (begin.table === 'organizations') {
                  await sql.raw(`CREATE TEMP TABLE ${STAGED_ORGANIZATIONS} (LIKE ${PLATFORM_SCHEMA}.organizations) ON COMMIT DROP`).execute(trx);
                  loader = TableLoader.start(client, begin, `COPY ${STAGED_ORGANIZATIONS} (${begin.columns.map(quoteIdent).join(', ')}) FROM STDIN`);
                } else {
                  loader = TableLoader.start(client, begin, copyIn(PLATFORM_SCHEMA, begin.table, begin.columns));
                }
              } else {
                checkColumns(begin, tenantColumns);
                loader = TableLoader.start(client, begin, copyIn(schemaName, begin.table, begin.columns));
              }
              break;
            }
            case 'data':
              await loader!.write(event.chunk);
              break;
            case 'tableEnd':
              await loader!.end(event.table.rows);
              loader = null;
              if (event.table.scope === 'platform' && event.table.table === 'organizations') {
                await insertStagedOrganization(trx, header, event.table.columns, { slug, schemaName });
                await sql.raw(`CREATE SCHEMA ${quoteIdent(assertSchemaName(schemaName))}`).execute(trx);
                for (const file of tenantFiles) {
                  if (compareVersions(file.version, header.tenantSchemaVersion) <= 0) await applyTenantSection(trx, header.organization.id, schemaName, file);
                }
                tenantColumns = await tableColumns(trx, schemaName);
              }
              break;
            case 'manifest':
              manifest = event.manifest;
              break;
            case 'header':
              throw new ArchiveError('the file is damaged (two headers)');
          }
        }
      } catch (err) {
        await loader?.abort();
        throw err;
      }
      if (!manifest || !tenantColumns) throw new ArchiveError('the file is damaged (no organization)');

      const newer = tenantFiles.filter((f) => compareVersions(f.version, header.tenantSchemaVersion) > 0);
      for (const file of newer) await applyTenantSection(trx, header.organization.id, schemaName, file);
      // Derived from field_mappings, like every writer of a mapping does: not taken on the file's word.
      await rebuildFieldSources(tenantDb(trx, schemaName));
      const schedulesDisabled = await disableImportedSchedules(trx, schemaName);
      await recordAudit(trx, { actor: SYSTEM_ACTOR, organizationId: null, requestId: 'admin-cli' }, {
        action: 'organization.import',
        entityType: 'Organization',
        entityId: header.organization.id,
        after: { slug, exportedFrom: header.organization.slug, exportedAt: header.exportedAt, schemaVersion: header.tenantSchemaVersion, schedulesDisabled },
      });
      return {
        organization: { id: header.organization.id, slug, schemaName },
        manifest,
        migratedFrom: newer.length ? header.tenantSchemaVersion : null,
        schedulesDisabled,
      };
    });
  } catch (err) {
    throw collision(err, slug);
  } finally {
    await db.destroy();
    client.release();
    await events.return(undefined);
  }
}

/** The staged organization row, under the new slug and schema; exactly the file's one organization. */
async function insertStagedOrganization(
  trx: Transaction<PlatformDatabase>,
  header: ArchiveHeader,
  columns: readonly string[],
  target: { slug: string; schemaName: string },
): Promise<void> {
  const staged = await sql<{ id: string }>`select id from ${sql.table(STAGED_ORGANIZATIONS)}`.execute(trx);
  if (staged.rows.length !== 1 || staged.rows[0]!.id !== header.organization.id) {
    throw new ArchiveError('the file does not hold exactly the organization its header names');
  }
  const values = columns.map((c) => (c === 'slug' ? sql`${target.slug}` : c === 'schema_name' ? sql`${target.schemaName}` : sql.ref(c)));
  // import: the organization row under its new slug
  await sql`insert into ${sql.table(`${PLATFORM_SCHEMA}.organizations`)} (${sql.join(columns.map((c) => sql.ref(c)))})
    select ${sql.join(values)} from ${sql.table(STAGED_ORGANIZATIONS)}`.execute(trx);
}

/** Opens an archive file, decrypting it when it is encrypted (the passphrase is asked for only then). */
export async function openArchive(file: string, passphrase: () => Promise<string>): Promise<Readable> {
  await access(file).catch(() => {
    throw new ArchiveError(`cannot read ${file}`);
  });
  const probe = createReadStream(file, { start: 0, end: 7 });
  const head: Buffer[] = [];
  for await (const chunk of probe) head.push(chunk as Buffer);
  const input = createReadStream(file);
  return isEncrypted(Buffer.concat(head)) ? decryptingStream(input, await passphrase()) : input;
}
