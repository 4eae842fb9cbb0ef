import { constants } from 'node:fs';
import { chmod, open, rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { singleClientDb } from '../db/connection.js';
import { PLATFORM_SCHEMA } from '../db/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { findOrganizationBySlug } from '../organizations/organization.dao.js';
import { encryptingStream } from './archive-crypto.js';
import { ArchiveWriter, FORMAT_VERSION, type ArchiveHeader, type ArchiveManifest, type TableBegin } from './archive-format.js';
import { PLATFORM_TABLES, platformCopyOut, schemaVersions, sealedKeyIds, tableColumns, tablesInDependencyOrder, tenantCopyOut } from './backup.dao.js';

async function copyTable(client: pg.PoolClient, writer: ArchiveWriter, begin: TableBegin, statement: string): Promise<void> {
  await writer.beginTable(begin);
  const stream = client.query(copyTo(statement));
  for await (const chunk of stream) await writer.data(chunk as Buffer);
  await writer.endTable(stream.rowCount);
}

/**
 * Writes one organization — its platform rows and every table of its schema —
 * to `out` from one snapshot: a read-only REPEATABLE READ transaction on one
 * connection, each table streamed with COPY. Writers are never blocked and
 * nothing they commit meanwhile reaches the file.
 */
export async function exportOrganization(pool: pg.Pool, slug: string, out: Writable): Promise<ArchiveManifest> {
  const client = await pool.connect();
  const db = singleClientDb(client);
  try {
    return await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const org = await findOrganizationBySlug(trx, slug);
        if (!org) throw new NotFoundError('Organization', slug);
        const versions = await schemaVersions(trx, org.id);
        const platformColumns = await tableColumns(trx, PLATFORM_SCHEMA);
        const tenantColumns = await tableColumns(trx, org.schema_name);
        const header: ArchiveHeader = {
          format: FORMAT_VERSION,
          schemaVersion: versions.platform,
          tenantSchemaVersion: versions.tenant ?? '0.0.0',
          exportedAt: new Date().toISOString(),
          organization: { id: org.id, slug: org.slug, name: org.name },
          keyIds: await sealedKeyIds(trx, org, platformColumns.get('users') ?? []),
        };
        const writer = new ArchiveWriter(out);
        await writer.header(header);
        for (const { table } of PLATFORM_TABLES) {
          const columns = platformColumns.get(table);
          if (!columns) continue; // a database at a version before the table existed
          await copyTable(client, writer, { scope: 'platform', table, columns }, platformCopyOut(table, columns, org.id));
        }
        for (const table of await tablesInDependencyOrder(trx, org.schema_name)) {
          const columns = tenantColumns.get(table)!;
          await copyTable(client, writer, { scope: 'tenant', table, columns }, tenantCopyOut(org.schema_name, table, columns));
        }
        return writer.finish(header);
      });
  } finally {
    await db.destroy();
    client.release();
  }
}

/**
 * Exports into `file` (mode 0600), optionally encrypted with a passphrase. The
 * archive is written beside it as `<file>.partial` and renamed when complete,
 * so a failed export never leaves a file that looks finished. An existing file
 * is not overwritten.
 */
export async function exportOrganizationToFile(
  pool: pg.Pool,
  opts: { slug: string; file: string; passphrase?: string },
): Promise<ArchiveManifest> {
  const partial = `${opts.file}.partial`;
  const exists = await open(opts.file, constants.O_RDONLY).then((h) => h.close().then(() => true), () => false);
  if (exists) throw new ConflictError(`${opts.file} already exists; choose another name or remove it`);
  const handle = await open(partial, 'wx', 0o600);
  try {
    await chmod(partial, 0o600);
    const fileStream = handle.createWriteStream();
    let manifest: ArchiveManifest;
    if (opts.passphrase !== undefined) {
      const encrypt = await encryptingStream(opts.passphrase);
      const written = pipeline(encrypt, fileStream);
      written.catch(() => {}); // awaited below; a failed export destroys it first
      manifest = await exportOrganization(pool, opts.slug, encrypt).catch((err: unknown) => {
        encrypt.destroy();
        throw err;
      });
      encrypt.end();
      await written;
    } else {
      manifest = await exportOrganization(pool, opts.slug, fileStream);
      fileStream.end();
      await finished(fileStream);
    }
    await rename(partial, opts.file);
    return manifest;
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw err;
  }
}
