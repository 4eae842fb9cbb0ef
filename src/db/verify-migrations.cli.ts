import { verifyMigrations } from './verify-migrations.js';

/** `npm run migrations:verify [dir]`: exits 1 and lists every problem. */
const dir = process.argv[2] ?? process.env.MIGRATIONS_DIR ?? 'migrations';
const problems = await verifyMigrations(dir);
if (problems.length > 0) {
  for (const p of problems) console.error(`✗ ${p.file}: ${p.message}`);
  console.error(`${problems.length} problem(s) in ${dir}`);
  process.exit(1);
}
console.log(`✓ ${dir}: names, version chain, transactions and backward compatibility are fine`);
