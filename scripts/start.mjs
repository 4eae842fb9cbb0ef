// `npm start`: builds dist/ when it is missing or older than the sources, then runs the
// compiled server in this process (signals reach it directly). Production runs
// `node dist/main.js` after `npm run build`; this wrapper is for the quick start.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const main = join(root, 'dist', 'main.js');
const assets = join(root, 'dist', 'graphiql', 'graphiql.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'web')), statSync(join(root, 'package-lock.json')).mtimeMs);
const stale = !existsSync(main) || !existsSync(assets) || statSync(main).mtimeMs < sources;
if (stale) {
  console.error('datalinx: building dist/ (npm run build)…');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import(pathToFileURL(main).href);
