/**
 * Self-hosted GraphiQL (graphiql 4.1.x, CodeMirror 5 based): HTML page + bundled assets.
 * Framework-agnostic: the HTTP routes are wired elsewhere, e.g.
 *   GET /graphiql                 -> graphiqlHtml('/graphql'), content-type text/html; charset=utf-8,
 *                                    header Content-Security-Policy: GRAPHIQL_CSP
 *   GET /graphiql/assets/:file    -> (await loadGraphiqlAssets()).get(file)  (404 if undefined)
 * Assets are built by `npx tsx scripts/build-graphiql.ts` (esbuild, from npm packages only;
 * nothing is loaded from a CDN at run time) into dist/graphiql/{graphiql.js,graphiql.css}.
 *
 * DOM selectors (GraphiQL 4.1.2; verified in headless Chromium via playwright-core, see the
 * throwaway check that typed `{ hello }`, clicked run and read the response):
 *   mount element (graphiqlHtml)  #graphiql[data-endpoint]        app root: .graphiql-container
 *   query editor (CodeMirror 5)   .graphiql-query-editor .CodeMirror
 *     type:  page.click('.graphiql-query-editor .CodeMirror .CodeMirror-code'); Control+A; Delete;
 *            page.keyboard.type('{ hello }')   (or el.CodeMirror.setValue(...) via page.evaluate)
 *   run button                    button.graphiql-execute-button   (aria-label "Execute query (Ctrl-Enter)")
 *   result pane                   .graphiql-response .CodeMirror
 *     read:  page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue())
 *            -> pretty JSON; or textContent of '.graphiql-response .CodeMirror .CodeMirror-code' (no newlines)
 *   headers editor                .graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror
 *     (the Headers tab is open by default, pre-filled with {"Authorization": "Bearer <paste a token>"};
 *      tab buttons: .graphiql-editor-tools button with text "Variables" / "Headers")
 *   sidebar buttons               button[aria-label="Show Documentation Explorer"], [aria-label="Open settings dialog"]
 * Wait for '.graphiql-query-editor .CodeMirror' before interacting (schema introspection runs on load,
 * without the placeholder Authorization header: main.tsx drops headers that still contain it).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** URL prefix the page loads its assets from. */
export const GRAPHIQL_ASSETS_PREFIX = '/graphiql/assets/';

/** Files produced by scripts/build-graphiql.ts. */
export const GRAPHIQL_ASSET_FILES = ['graphiql.js', 'graphiql.css'] as const;

/**
 * Content-Security-Policy the GraphiQL page works under (send it with the HTML response):
 * - scripts and the stylesheet are same-origin files; no inline <script>, no eval;
 * - style-src has 'unsafe-inline' because GraphiQL's dialogs (Radix -> react-remove-scroll) inject a
 *   <style> element when opened (verified: with style-src 'self' that is the only violation, and it
 *   only loses the body scroll lock; everything else uses the stylesheet or CSSOM element.style);
 * - font-src/img-src data: — the fonts and a few icons are data: URLs inside graphiql.css;
 * - connect-src 'self' — the fetcher only POSTs to the same-origin GraphQL endpoint, and opens
 *   subscriptions over WebSocket on it ('self' covers ws:/wss: of the same host in CSP Level 3);
 * - no workers are used by GraphiQL 4 (CodeMirror 5), so worker-src is 'none'.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'none'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface GraphiqlAsset {
  contentType: string;
  body: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

function escapeHtmlAttr(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** The GraphiQL HTML page. No inline script or style, so it works under GRAPHIQL_CSP. */
export function graphiqlHtml(endpointPath: string): string {
  const endpoint = escapeHtmlAttr(endpointPath);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>Datalinx GraphiQL</title>
<link rel="stylesheet" href="${GRAPHIQL_ASSETS_PREFIX}graphiql.css">
<script src="${GRAPHIQL_ASSETS_PREFIX}graphiql.js" defer></script>
</head>
<body>
<div id="graphiql" data-endpoint="${endpoint}">Loading GraphiQL&hellip;</div>
<noscript>GraphiQL needs JavaScript enabled.</noscript>
</body>
</html>
`;
}

/** Nearest ancestor directory of this module containing package.json (works from src/ and from a build dir). */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

type BuildGraphiql = (outDir?: string) => Promise<unknown>;

async function buildAssets(dir: string, root: string): Promise<void> {
  const script = join(root, 'scripts', 'build-graphiql.ts');
  let mod: { buildGraphiql?: BuildGraphiql };
  try {
    // Only loadable when .ts imports work (tsx, ts-jest); a variable specifier keeps tsc out of it.
    const specifier = pathToFileURL(script).href;
    mod = (await import(specifier)) as { buildGraphiql?: BuildGraphiql };
  } catch (err) {
    throw new Error(
      `GraphiQL assets missing in ${dir} and ${script} could not be loaded; run \`npx tsx scripts/build-graphiql.ts\``,
      { cause: err },
    );
  }
  if (typeof mod.buildGraphiql !== 'function') throw new Error(`${script} does not export buildGraphiql`);
  await mod.buildGraphiql(dir);
}

/**
 * Reads the built GraphiQL assets, keyed by file name ('graphiql.js', 'graphiql.css').
 * Builds them with scripts/build-graphiql.ts first if any is missing.
 * `dir` defaults to <project root>/dist/graphiql; a relative dir is resolved against the project root.
 */
export async function loadGraphiqlAssets(dir?: string): Promise<Map<string, GraphiqlAsset>> {
  const root = findProjectRoot();
  const assetDir = dir === undefined ? join(root, 'dist', 'graphiql') : isAbsolute(dir) ? dir : resolve(root, dir);

  if (GRAPHIQL_ASSET_FILES.some((f) => !existsSync(join(assetDir, f)))) {
    await buildAssets(assetDir, root);
  }

  const assets = new Map<string, GraphiqlAsset>();
  for (const file of GRAPHIQL_ASSET_FILES) {
    const contentType = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    assets.set(file, { contentType, body: await readFile(join(assetDir, file)) });
  }
  return assets;
}
