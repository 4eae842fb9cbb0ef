import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import { DomainError } from '../errors.js';

/**
 * The `.dlx` organization archive. After an 8-byte magic, a sequence of frames
 * `[kind: u8][length: u32 BE][payload]`:
 *
 *   H  header (JSON)        format and schema versions, the organization, key ids
 *   T  table begins (JSON)  scope, table, columns
 *   D  data                 COPY text-format bytes of that table (any number of frames)
 *   E  table ends (JSON)    rows and SHA-256 of the table's data bytes
 *   M  manifest (JSON)      the header again plus every table's rows and checksum
 *   Z  end                  SHA-256 of every byte before this frame
 *
 * A reader checks each table against its E frame, the list against M, and the
 * whole file against Z; a file cut short has no Z, so nothing read from it is
 * ever committed.
 */
export const ARCHIVE_MAGIC = Buffer.from('DLXORG1\n');
export const FORMAT_VERSION = 1;

export const FrameKind = { header: 0x48, tableBegin: 0x54, data: 0x44, tableEnd: 0x45, manifest: 0x4d, end: 0x5a } as const;
type Kind = (typeof FrameKind)[keyof typeof FrameKind];
const FRAME_HEAD = 5;
/** Refuses absurd lengths before allocating: COPY data arrives in chunks of 64 KiB or so. */
const MAX_FRAME = 64 * 1024 * 1024;

/** An archive that cannot be read or does not fit this database; nothing was written. */
export class ArchiveError extends DomainError {
  readonly code = 'INVALID_ARCHIVE';
  override name = 'ArchiveError';
}

const TableScope = z.enum(['platform', 'tenant']);
export type TableScope = z.infer<typeof TableScope>;

export const ArchiveHeader = z.object({
  format: z.literal(FORMAT_VERSION),
  /** Newest platform migration applied when the archive was written. */
  schemaVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  /** Newest tenant migration applied to the organization's schema. */
  tenantSchemaVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  exportedAt: z.string(),
  organization: z.object({ id: z.uuid(), slug: z.string(), name: z.string() }),
  /** Keyring key ids the organization's sealed secrets need to be opened. */
  keyIds: z.array(z.string()),
});
export type ArchiveHeader = z.infer<typeof ArchiveHeader>;

export const TableBegin = z.object({
  scope: TableScope,
  table: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  columns: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/)).min(1),
});
export type TableBegin = z.infer<typeof TableBegin>;

const TableEnd = z.object({ rows: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type TableSummary = TableBegin & z.infer<typeof TableEnd>;

export const ArchiveManifest = ArchiveHeader.extend({
  tables: z.array(z.object({ scope: TableScope, table: z.string(), rows: z.number().int().nonnegative(), sha256: z.string() })),
});
export type ArchiveManifest = z.infer<typeof ArchiveManifest>;

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Writes frames to a stream, with backpressure, keeping the running file digest. */
export class ArchiveWriter {
  private readonly digest = createHash('sha256');
  private table: { begin: TableBegin; hash: Hash; rows: number } | null = null;
  private readonly tables: TableSummary[] = [];

  constructor(private readonly out: Writable) {}

  private async write(bytes: Buffer): Promise<void> {
    this.digest.update(bytes);
    if (!this.out.write(bytes)) await once(this.out, 'drain');
  }

  private async frame(kind: Kind, payload: Buffer): Promise<void> {
    const head = Buffer.alloc(FRAME_HEAD);
    head.writeUInt8(kind, 0);
    head.writeUInt32BE(payload.length, 1);
    await this.write(head);
    await this.write(payload);
  }

  async header(header: ArchiveHeader): Promise<void> {
    await this.write(ARCHIVE_MAGIC);
    await this.frame(FrameKind.header, json(header));
  }

  async beginTable(begin: TableBegin): Promise<void> {
    this.table = { begin, hash: createHash('sha256'), rows: 0 };
    await this.frame(FrameKind.tableBegin, json(begin));
  }

  /** COPY text format ends every row with one newline (embedded ones are escaped), so rows are newlines. */
  async data(chunk: Buffer): Promise<void> {
    const table = this.table!;
    table.hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) table.rows++;
    await this.frame(FrameKind.data, chunk);
  }

  async endTable(copiedRows: number): Promise<TableSummary> {
    const { begin, hash, rows } = this.table!;
    if (rows !== copiedRows) throw new ArchiveError(`${begin.table}: COPY reported ${copiedRows} rows but sent ${rows}`);
    const summary = { ...begin, rows, sha256: hash.digest('hex') };
    await this.frame(FrameKind.tableEnd, json({ rows, sha256: summary.sha256 }));
    this.tables.push(summary);
    this.table = null;
    return summary;
  }

  async finish(header: ArchiveHeader): Promise<ArchiveManifest> {
    const manifest: ArchiveManifest = {
      ...header,
      tables: this.tables.map(({ scope, table, rows, sha256 }) => ({ scope, table, rows, sha256 })),
    };
    await this.frame(FrameKind.manifest, json(manifest));
    await this.frame(FrameKind.end, this.digest.copy().digest());
    return manifest;
  }
}

export type ArchiveEvent =
  | { kind: 'header'; header: ArchiveHeader }
  | { kind: 'tableBegin'; table: TableBegin }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'tableEnd'; table: TableSummary }
  | { kind: 'manifest'; manifest: ArchiveManifest };

function parseJson<T>(schema: z.ZodType<T>, payload: Buffer, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ArchiveError(`the ${what} is not valid JSON: the file is damaged`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ArchiveError(`the ${what} is malformed: the file is damaged or not a Datalinx export`);
  return parsed.data;
}

/** Reads exactly `n` bytes from an async byte iterator, or null at a clean end of input. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  async read(n: number): Promise<Buffer | null> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    if (this.buffered < n) {
      if (this.buffered === 0) return null;
      throw new ArchiveError('the file is cut short');
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/**
 * Yields the archive's contents in order while checking every table checksum,
 * the manifest and the final digest. The last event is the manifest; it is only
 * yielded once the whole file has been proven intact, so a consumer commits
 * after seeing it and never before.
 */
export async function* readArchive(input: Readable): AsyncGenerator<ArchiveEvent> {
  const reader = new ByteReader(input[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const digest = createHash('sha256');
  const magic = await reader.read(ARCHIVE_MAGIC.length);
  if (!magic || !magic.equals(ARCHIVE_MAGIC)) throw new ArchiveError('not a Datalinx organization export (or encrypted: give the passphrase)');
  digest.update(magic);

  const seen: TableSummary[] = [];
  let header: ArchiveHeader | null = null;
  let table: { begin: TableBegin; hash: Hash; rows: number } | null = null;
  let manifest: ArchiveManifest | null = null;

  for (;;) {
    const head = await reader.read(FRAME_HEAD);
    if (!head) throw new ArchiveError('the file is cut short (no end marker)');
    const kind = head.readUInt8(0);
    const length = head.readUInt32BE(1);
    if (length > MAX_FRAME) throw new ArchiveError('the file is damaged (impossible frame length)');
    const payload = length === 0 ? Buffer.alloc(0) : await reader.read(length);
    if (!payload) throw new ArchiveError('the file is cut short');
    const before = digest.copy();
    digest.update(head).update(payload);

    if (kind === FrameKind.end) {
      if (!manifest) throw new ArchiveError('the file is damaged (end marker before the manifest)');
      if (!before.digest().equals(payload)) throw new ArchiveError('the file checksum does not match: the file was altered');
      if ((await reader.read(1)) !== null) throw new ArchiveError('the file has bytes after its end marker');
      yield { kind: 'manifest', manifest };
      return;
    }
    if (manifest) throw new ArchiveError('the file is damaged (data after the manifest)');
    if (kind === FrameKind.header) {
      if (header) throw new ArchiveError('the file is damaged (two headers)');
      header = parseJson(ArchiveHeader, payload, 'header');
      yield { kind: 'header', header };
      continue;
    }
    if (!header) throw new ArchiveError('the file is damaged (no header)');
    switch (kind) {
      case FrameKind.tableBegin:
        if (table) throw new ArchiveError('the file is damaged (table not closed)');
        table = { begin: parseJson(TableBegin, payload, 'table header'), hash: createHash('sha256'), rows: 0 };
        yield { kind: 'tableBegin', table: table.begin };
        break;
      case FrameKind.data:
        if (!table) throw new ArchiveError('the file is damaged (data outside a table)');
        table.hash.update(payload);
        for (let i = payload.indexOf(10); i !== -1; i = payload.indexOf(10, i + 1)) table.rows++;
        yield { kind: 'data', chunk: payload };
        break;
      case FrameKind.tableEnd: {
        if (!table) throw new ArchiveError('the file is damaged (table end without a table)');
        const end = parseJson(TableEnd, payload, 'table trailer');
        const summary = { ...table.begin, rows: table.rows, sha256: table.hash.digest('hex') };
        if (end.sha256 !== summary.sha256 || end.rows !== summary.rows) {
          throw new ArchiveError(`the checksum of table ${summary.table} does not match: the file was altered`);
        }
        seen.push(summary);
        table = null;
        yield { kind: 'tableEnd', table: summary };
        break;
      }
      case FrameKind.manifest: {
        if (table) throw new ArchiveError('the file is damaged (manifest inside a table)');
        manifest = parseJson(ArchiveManifest, payload, 'manifest');
        const listed = JSON.stringify(manifest.tables);
        const actual = JSON.stringify(seen.map(({ scope, table: t, rows, sha256 }) => ({ scope, table: t, rows, sha256 })));
        const { tables: _tables, ...manifestHeader } = manifest;
        if (listed !== actual || JSON.stringify(manifestHeader) !== JSON.stringify(header)) {
          throw new ArchiveError('the manifest does not match the contents: the file was altered');
        }
        break;
      }
      default:
        throw new ArchiveError('the file is damaged (unknown frame)');
    }
  }
}
