import { readFile, writeFile } from 'node:fs/promises';
import { printSchemaSdl } from '../src/graphql/schema.js';

/**
 * `npm run schema:print` writes schema.graphql; `npm run schema:check` fails
 * when the checked-in file differs from what the code builds.
 */
const FILE = 'schema.graphql';
const sdl = `${printSchemaSdl()}\n`;

if (process.argv.includes('--check')) {
  const current = await readFile(FILE, 'utf8').catch(() => '');
  if (current !== sdl) {
    console.error(`${FILE} is stale: run \`npm run schema:print\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${FILE} is current.`);
} else {
  await writeFile(FILE, sdl);
  console.log(`wrote ${FILE}`);
}
