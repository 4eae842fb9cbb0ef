import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export type MigrationTarget = 'platform' | 'tenant';

export interface MigrationFile {
  fileName: string;
  fromVersion: string;
  version: string;
  description: string;
  /** sha256 of the whole file: an applied file must never change. */
  checksum: string;
  /** SQL per target, in the order the sections should run (platform first). */
  sections: Partial<Record<MigrationTarget, string>>;
}

/** The generated tenant schema snapshot kept beside the chain (src/db/tenant-snapshot.ts); not a migration. */
export const TENANT_SNAPSHOT_FILE = 'tenant-snapshot.sql';

export const MIGRATION_NAME = /^v(\d+\.\d+\.\d+)_to_v(\d+\.\d+\.\d+)_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;
const SECTION_MARKER = /^--\s*target:\s*(\S+)\s*$/gm;

export class MigrationFileError extends Error {
  override name = 'MigrationFileError';
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(`${fileName}: ${message}`);
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Splits a file into its `-- target: platform|tenant` sections. */
export function parseSections(fileName: string, text: string): MigrationFile['sections'] {
  const markers = [...text.matchAll(SECTION_MARKER)];
  if (markers.length === 0) {
    throw new MigrationFileError(fileName, 'has no "-- target: platform" or "-- target: tenant" line');
  }
  const sections: MigrationFile['sections'] = {};
  markers.forEach((m, i) => {
    const target = m[1];
    if (target !== 'platform' && target !== 'tenant') {
      throw new MigrationFileError(fileName, `unknown target "${target}" (use platform or tenant)`);
    }
    if (sections[target] !== undefined) throw new MigrationFileError(fileName, `has two "${target}" sections`);
    if (target === 'platform' && sections.tenant !== undefined) {
      throw new MigrationFileError(fileName, 'the platform section must come before the tenant section');
    }
    const end = markers[i + 1]?.index ?? text.length;
    const body = text.slice(m.index + m[0].length, end).trim();
    if (!body) throw new MigrationFileError(fileName, `the ${target} section is empty`);
    sections[target] = body;
  });
  return sections;
}

export function parseMigration(fileName: string, text: string): MigrationFile {
  const match = MIGRATION_NAME.exec(fileName);
  if (!match) {
    throw new MigrationFileError(fileName, 'name must look like v1.0.2_to_v1.0.3_add_workspace_settings.sql');
  }
  const [, fromVersion, version, description] = match as unknown as [string, string, string, string];
  return {
    fileName,
    fromVersion,
    version,
    description,
    checksum: createHash('sha256').update(text).digest('hex'),
    sections: parseSections(fileName, text),
  };
}

/** Reads every `.sql` file of the folder, ordered by target version. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql') && n !== TENANT_SNAPSHOT_FILE);
  const files = await Promise.all(
    names.map(async (n) => parseMigration(n, await readFile(path.join(dir, n), 'utf8'))),
  );
  return files.sort((a, b) => compareVersions(a.version, b.version));
}

/** Checks that the files form one contiguous chain from v0.0.0, one file per version. */
export function checkChain(files: readonly MigrationFile[]): void {
  let expected = '0.0.0';
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.version)) throw new MigrationFileError(f.fileName, `a second file for version v${f.version}`);
    seen.add(f.version);
    if (f.fromVersion !== expected) {
      throw new MigrationFileError(f.fileName, `starts at v${f.fromVersion} but the chain is at v${expected}`);
    }
    if (compareVersions(f.version, f.fromVersion) <= 0) {
      throw new MigrationFileError(f.fileName, 'must move to a higher version');
    }
    expected = f.version;
  }
}

/** The folder's migrations, checked to form one chain (what the runner and provisioning use). */
export async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  const files = await readMigrations(dir);
  checkChain(files);
  return files;
}
