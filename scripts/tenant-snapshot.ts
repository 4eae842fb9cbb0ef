import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDb, createPool } from '../src/db/connection.js';
import { loadMigrations, TENANT_SNAPSHOT_FILE } from '../src/db/migration-files.js';
import { migrate } from '../src/db/migrator.js';
import { generateTenantSnapshot } from '../src/db/tenant-snapshot.js';
import { openScratchDatabase } from './scratch-database.js';

/**
 * `npm run tenant-snapshot` migrates a scratch database, replays the tenant
 * chain and writes migrations/tenant-snapshot.sql; `-- --check` fails when the
 * checked-in file differs (CI runs it).
 */
const dir = process.env.MIGRATIONS_DIR ?? 'migrations';
const file = path.join(dir, TENANT_SNAPSHOT_FILE);
const scratch = await openScratchDatabase();
const db = createDb(createPool(scratch.url, { min: 0, max: 2, maxUses: 0, idleTimeoutMillis: 1000, connectionTimeoutMillis: 10_000, statementTimeoutMillis: 0 }));
let text: string;
try {
  const files = await loadMigrations(dir);
  await migrate(db, { dir });
  text = await generateTenantSnapshot(db, files);
} finally {
  await db.destroy();
  await scratch.drop();
}

if (process.argv.includes('--check')) {
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current !== text) {
    console.error(`${file} is stale: run \`npm run tenant-snapshot\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${file} is current.`);
} else {
  await writeFile(file, text);
  console.log(`wrote ${file}`);
}
