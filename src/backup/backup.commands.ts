import { createInterface } from 'node:readline';
import type { Keyring } from '../crypto/keyring.js';
import type { SystemDb } from '../db/system.js';
import { checkPassphrase } from './archive-crypto.js';
import { ArchiveError } from './archive-format.js';
import { exportOrganizationToFile } from './export-org.js';
import { importOrganization, openArchive } from './import-org.js';

/** Where a passphrase comes from: the environment (scripts) or the terminal, never an argument (shell history). */
export const PASSPHRASE_ENV = 'DATALINX_EXPORT_PASSPHRASE';

async function askPassphrase(prompt: string): Promise<string> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) throw new ArchiveError(`a passphrase is needed: set ${PASSPHRASE_ENV} or run on a terminal`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Echo nothing while the passphrase is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.startsWith(prompt)) process.stderr.write(prompt);
  };
  try {
    return await new Promise<string>((resolve) => rl.question(prompt, resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** `export-org --slug acme --out acme.dlx [--encrypt]`: prints the manifest's summary as JSON. */
export async function exportOrgCommand(system: SystemDb, args: { slug?: string; out?: string; encrypt?: boolean }): Promise<void> {
  if (!args.slug || !args.out) throw new ArchiveError('export-org needs --slug and --out');
  const passphrase = args.encrypt ? checkPassphrase(await askPassphrase('Passphrase for the export: ')) : undefined;
  const manifest = await exportOrganizationToFile(system.pool, { slug: args.slug, file: args.out, passphrase });
  console.log(JSON.stringify({
    file: args.out,
    encrypted: Boolean(passphrase),
    organization: manifest.organization,
    schemaVersion: manifest.schemaVersion,
    keyIds: manifest.keyIds,
    rows: Object.fromEntries(manifest.tables.map((t) => [`${t.scope}.${t.table}`, t.rows])),
  }));
}

/**
 * `import-org --in acme.dlx [--slug acme-restored]`. Warns when this server's
 * keyring lacks a key the file's sealed secrets need: they stay sealed until
 * that key is added to KEYRING.
 */
export async function importOrgCommand(system: SystemDb, keyring: Keyring, args: { in?: string; slug?: string }): Promise<void> {
  if (!args.in) throw new ArchiveError('import-org needs --in');
  const input = await openArchive(args.in, () => askPassphrase('Passphrase of the export: '));
  const result = await importOrganization(system, input, { slug: args.slug });
  const missingKeyIds = result.manifest.keyIds.filter((id) => !keyring.has(id));
  if (missingKeyIds.length) {
    console.error(`warning: this keyring lacks ${missingKeyIds.join(', ')}; the organization's credentials open once KEYRING has them`);
  }
  if (result.schedulesDisabled > 0) {
    console.error(`warning: ${result.schedulesDisabled} workspace schedule(s) were imported disabled; enable them again with setWorkspaceSchedule`);
  }
  console.log(JSON.stringify({
    organization: result.organization,
    schemaVersion: result.manifest.schemaVersion,
    migratedFrom: result.migratedFrom,
    schedulesDisabled: result.schedulesDisabled,
    keyIdsNeeded: result.manifest.keyIds,
    missingKeyIds,
    rows: result.manifest.tables.reduce((n, t) => n + t.rows, 0),
  }));
}
