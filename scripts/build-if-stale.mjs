// Builds dist/ (`npm run build`) when it is missing or older than the sources.
// Used by `npm start` (scripts/start.mjs) and by the benchmarks, which measure
// the compiled server as production runs it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The compiled entry point of the checkout at `root`, built first when stale; exits the process when the build fails. */
export function ensureBuilt(root) {
  const main = join(root, 'dist', 'main.js');
  const assets = join(root, 'dist', 'graphiql', 'graphiql.js');
  const web = join(root, 'web');
  const sources = Math.max(newestMtime(join(root, 'src')), existsSync(web) ? newestMtime(web) : 0, statSync(join(root, 'package-lock.json')).mtimeMs);
  const stale = !existsSync(main) || !existsSync(assets) || statSync(main).mtimeMs < sources;
  if (stale) {
    console.error('datalinx: building dist/ (npm run build)…');
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  return main;
}
