/**
 * Browser entry for the self-hosted GraphiQL page.
 *
 * Bundled at build time by scripts/build-graphiql.ts into dist/graphiql/graphiql.{js,css};
 * served by the API under /graphiql/assets/ (see src/graphiql/graphiql.assets.ts).
 * Nothing is fetched from a CDN: React, GraphiQL, CodeMirror and the fonts (inlined as
 * data: URLs in GraphiQL's stylesheet) all end up in those two files.
 *
 * The page is rendered by graphiqlHtml(): the GraphQL endpoint is read from the
 * `data-endpoint` attribute of the #graphiql mount element (no inline script, so the
 * page works under a strict Content-Security-Policy).
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import type { Fetcher, FetcherOpts, FetcherParams } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { Kind, parse, type DocumentNode } from 'graphql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

const MOUNT_ID = 'graphiql';
const DEFAULT_ENDPOINT = '/graphql';

/** Placeholder shown in the headers editor; requests never send it verbatim. */
export const TOKEN_PLACEHOLDER = '<paste a token>';

const DEFAULT_HEADERS = `{\n  "Authorization": "Bearer ${TOKEN_PLACEHOLDER}"\n}`;

const DEFAULT_QUERY = `# Datalinx GraphQL API
#
# 1. Paste an access token into the Authorization header in the
#    "Headers" tab below (headers are NOT persisted in this browser).
# 2. Write a query here and press Ctrl+Enter (or the run button).
#
# Use the documentation explorer (book icon, left) to browse the schema.

{
  __typename
}
`;

/** Resolve the endpoint from data-endpoint (same origin only; anything else falls back). */
function resolveEndpoint(mount: HTMLElement): string {
  const raw = mount.dataset['endpoint'] ?? DEFAULT_ENDPOINT;
  try {
    const url = new URL(raw, window.location.href);
    if (url.origin !== window.location.origin) return DEFAULT_ENDPOINT;
    return url.pathname + url.search;
  } catch {
    return DEFAULT_ENDPOINT;
  }
}

/** Drop headers that still contain the placeholder so anonymous/introspection requests work. */
function withoutPlaceholderHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && value.includes(TOKEN_PLACEHOLDER)) continue;
    out[name] = value;
  }
  return out;
}

/** The same path over WebSocket (ws: or wss: like the page), where subscriptions are served. */
function subscriptionUrlOf(path: string): string {
  const url = new URL(path, window.location.href);
  url.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * The document being run, parsed from the text sent: the fetcher picks WebSocket for a
 * subscription by it, and the editor's own parse can lag behind its text.
 */
function documentOf(query: string): DocumentNode | undefined {
  try {
    return parse(query);
  } catch {
    return undefined;
  }
}

function createFetcher(url: string): Fetcher {
  // Queries and mutations: plain JSON POSTs (`content-type: application/json`), which
  // Apollo Server's CSRF prevention accepts; incremental delivery (multipart) is not used.
  // Subscriptions: graphql-ws on the same path; the headers editor's values (the
  // Authorization header) become the connection_init payload, where the server reads the token.
  const inner = createGraphiQLFetcher({
    url,
    subscriptionUrl: subscriptionUrlOf(url),
    enableIncrementalDelivery: false,
  });
  return (params: FetcherParams, opts?: FetcherOpts) => {
    const documentAST = documentOf(params.query) ?? opts?.documentAST;
    // The toolkit recognises a subscription only by its operation name: name the one operation.
    const operations = documentAST?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION) ?? [];
    const only = operations.length === 1 ? operations[0]!.name?.value : undefined;
    const named = params.operationName || !only ? params : { ...params, operationName: only };
    return inner(named, { ...opts, headers: withoutPlaceholderHeaders(opts?.headers), documentAST });
  };
}

function main(): void {
  const mount = document.getElementById(MOUNT_ID);
  if (!mount) throw new Error(`GraphiQL: missing #${MOUNT_ID} mount element`);
  const fetcher = createFetcher(resolveEndpoint(mount));
  mount.textContent = '';
  createRoot(mount).render(
    <StrictMode>
      <GraphiQL
        fetcher={fetcher}
        defaultQuery={DEFAULT_QUERY}
        defaultHeaders={DEFAULT_HEADERS}
        isHeadersEditorEnabled
        shouldPersistHeaders={false}
        defaultEditorToolsVisibility="headers"
      />
    </StrictMode>,
  );
}

main();
