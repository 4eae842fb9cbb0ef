/**
 * Bundles the self-hosted GraphiQL page (web/graphiql/main.tsx) with esbuild into
 *   <outDir>/graphiql.js   (IIFE, minified, NODE_ENV=production)
 *   <outDir>/graphiql.css  (GraphiQL + CodeMirror styles; fonts/images inlined as data: URLs)
 *
 * GraphiQL 4.x uses CodeMirror 5 (not Monaco), so there are no web workers to emit and
 * its stylesheet already embeds its fonts as data: URLs; the loaders below only make sure
 * any other font/image reference is inlined too, so the output is exactly two files.
 * The output is deterministic (no timestamps, hashes, absolute paths or source maps).
 *
 * CLI:   npx tsx scripts/build-graphiql.ts [outDir]      (default: dist/graphiql)
 * API:   await buildGraphiql('dist/graphiql')
 * A relative outDir is resolved against the project root (not the current directory).
 */
import { existsSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'web/graphiql/main.tsx';

/** Page layout: GraphiQL needs a full-height container. Prepended to graphiql.css. */
const LAYOUT_CSS = 'html,body{height:100%;margin:0}#graphiql{height:100vh;height:100dvh}';

export interface GraphiqlBuildResult {
  /** Absolute output directory. */
  outDir: string;
  /** Absolute paths of the emitted files (graphiql.js, graphiql.css). */
  files: string[];
}

export async function buildGraphiql(outDir = 'dist/graphiql'): Promise<GraphiqlBuildResult> {
  const absOut = isAbsolute(outDir) ? outDir : resolve(PROJECT_ROOT, outDir);
  await mkdir(absOut, { recursive: true });

  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [resolve(PROJECT_ROOT, ENTRY)],
    outfile: resolve(absOut, 'graphiql.js'), // the CSS imported by the entry goes to graphiql.css
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    loader: {
      '.woff': 'dataurl',
      '.woff2': 'dataurl',
      '.ttf': 'dataurl',
      '.eot': 'dataurl',
      '.otf': 'dataurl',
      '.svg': 'dataurl',
      '.png': 'dataurl',
      '.gif': 'dataurl',
      '.jpg': 'dataurl',
    },
    banner: { css: LAYOUT_CSS },
    legalComments: 'eof',
    charset: 'ascii',
    metafile: true,
    write: true,
    logLevel: 'warning',
  });

  const files = Object.keys(result.metafile.outputs)
    .map((f) => resolve(PROJECT_ROOT, f))
    .sort();
  return { outDir: absOut, files };
}

function isMain(): boolean {
  const argv1 = process.argv[1];
  if (!argv1 || !existsSync(argv1)) return false;
  return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
}

if (isMain()) {
  buildGraphiql(process.argv[2])
    .then(({ files }) => {
      for (const f of files) console.log(`built ${relative(process.cwd(), f)}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
