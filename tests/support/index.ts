/**
 * The test support module. Import from here; each file below holds one kind of helper:
 *
 * - `test-db.ts`     a migrated database of the test file's own, statements counted
 * - `test-server.ts` a real server on a loopback port over such a database
 * - `fixtures.ts`    `useTestApi()`: that server and seeded organizations for a whole test file
 * - `graphql.ts`     global IDs, requests that must succeed, mutation results, error fragments, leak checks
 * - `seed.ts`        organizations, users, and entities created through the API; bulk rows
 * - `accounts.ts`    sign-in, sessions, MFA, production-like servers, the admin CLI
 * - `security.ts`    callers of every kind, the served mutations, snapshots and audit marks
 * - `db-probes.ts`   migration folders and schema probes
 * - `source-db.ts`   customer source databases (own role and database), hung and closed ports
 * - `worker-process.ts` real worker processes for a test file, `waitFor` a condition
 */
export * from './accounts.js';
export * from './db-probes.js';
export * from './fixtures.js';
export * from './graphql.js';
export * from './security.js';
export * from './seed.js';
export * from './test-db.js';
export * from './test-server.js';
export * from './source-db.js';
export * from './worker-process.js';
