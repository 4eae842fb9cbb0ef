import fc from 'fast-check';
import { inputLeaves, internalsIn, mutationDocument, propertyParams, type Result, resultOf, rowCounts, useWorld } from '../support/index.js';
import { MUTATIONS } from './mutation-catalogue.js';

/**
 * Hostile text in every string argument of every mutation: it is stored as
 * given and returned as JSON data, or refused with a typed error; never a
 * 500, an internal error, SQL or a stack in the answer, or a half-done write.
 */

const { server, world } = useWorld();


export const HOSTILE = [
  "'; DROP TABLE workspaces; --",
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '\u0000',
  'nul\u0000inside',
  'ünïcødé ✓ 🚀 \u202egnp.exe \uFEFF 中文',
  '$1 $$ \\ " \\" %s %n {{7*7}} ${7*7}',
  'x'.repeat(50_000),
];

const STRINGISH = new Set(['String', 'ID', 'JSON', 'JSONObject']);

/** One place to put text: a mutation, an input shape of it, and a path in its variables. */
interface Target {
  mutation: string;
  variant: number;
  path: (string | number)[];
}

/** The string-valued places of arranged variables, following the schema's leaves (and into JSON values). */
function stringPlaces(mutation: string, variables: Record<string, unknown>): { path: (string | number)[]; leaf: string }[] {
  const out: { path: (string | number)[]; leaf: string }[] = [];
  const intoJson = (v: unknown, path: (string | number)[], leaf: string) => {
    if (typeof v === 'string') out.push({ path, leaf });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) intoJson(x, [...path, Array.isArray(v) ? Number(k) : k], leaf);
  };
  for (const leaf of inputLeaves(mutation).filter((l) => STRINGISH.has(l.type))) {
    let found: { value: unknown; path: (string | number)[] }[] = [{ value: variables, path: [] }];
    for (const step of leaf.path) {
      found = found.flatMap(({ value, path }) =>
        step === '[]'
          ? Array.isArray(value) ? value.map((x, i) => ({ value: x, path: [...path, i] })) : []
          : value && typeof value === 'object' && step in value ? [{ value: (value as Record<string, unknown>)[step], path: [...path, step] }] : [],
      );
    }
    for (const { value, path } of found) intoJson(value, path, leaf.path.join('.'));
  }
  return out;
}

function put(variables: Record<string, unknown>, path: (string | number)[], text: string): Record<string, unknown> {
  const copy = structuredClone(variables);
  let at: Record<string | number, unknown> = copy;
  path.slice(0, -1).forEach((k) => (at = at[k] as Record<string | number, unknown>));
  at[path.at(-1)!] = text;
  return copy;
}

const targets: Target[] = [];
const covered = new Map<string, Set<string>>();

beforeAll(async () => {
  for (const [mutation, c] of Object.entries(MUTATIONS)) {
    for (let variant = 0; variant < (c.variants ?? 1); variant++) {
      const arranged = await c.arrange(world, world.callers.owner, variant);
      for (const { path, leaf } of stringPlaces(mutation, arranged.variables)) {
        targets.push({ mutation, variant, path });
        covered.set(mutation, (covered.get(mutation) ?? new Set()).add(leaf));
      }
    }
  }
});

const tenantSchemas = () => [world.org.schema_name];

type Counts = Record<string, number>;
const deltaOf = (before: Counts, after: Counts): Counts =>
  Object.fromEntries([...new Set([...Object.keys(before), ...Object.keys(after)])].map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]).filter(([, d]) => d !== 0));

/** The mutation as arranged, and what it writes: rows added or removed per table. */
async function call(target: Target, text?: string): Promise<{ res: Response; body: string; delta: Counts }> {
  const c = MUTATIONS[target.mutation]!;
  const arranged = await c.arrange(world, world.callers.owner, target.variant);
  const before = await rowCounts(server, tenantSchemas());
  const variables = text === undefined ? arranged.variables : put(arranged.variables, target.path, text);
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${world.callers.owner.token}` },
    body: JSON.stringify({ query: mutationDocument(target.mutation, c.select), variables }),
  });
  const body = await res.text();
  return { res, body, delta: deltaOf(before, await rowCounts(server, tenantSchemas())) };
}

/** What each mutation (and shape of its input) writes when called as arranged, without hostile text. */
const cleanWrites = new Map<string, Promise<Counts>>();
const cleanDeltaOf = (target: Target): Promise<Counts> => {
  const key = `${target.mutation}/${target.variant}`;
  if (!cleanWrites.has(key)) cleanWrites.set(key, call(target).then((r) => r.delta));
  return cleanWrites.get(key)!;
};

/**
 * Calls the mutation with the text in one place, on freshly arranged state;
 * checks what must always hold: a JSON answer, no internals, and either the
 * whole write (as much as the same call without the text writes) or none.
 */
async function inject(target: Target, text: string): Promise<'stored' | 'refused'> {
  const { res, body, delta } = await call(target, text);
  const where = `${target.mutation} ${target.path.join('.')} = ${JSON.stringify(text.slice(0, 40))}`;

  expect({ where, status: res.status }).toEqual({ where, status: 200 });
  expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
  const json = JSON.parse(body) as { data?: Record<string, Result | boolean> | null; errors?: { extensions?: { code?: string } }[] };
  expect({ where, codes: json.errors?.map((e) => e.extensions?.code) ?? [] }).not.toEqual({ where, codes: expect.arrayContaining(['INTERNAL_SERVER_ERROR']) });
  expect({ where, internals: internalsIn(body, [text]) }).toEqual({ where, internals: [] });

  const result = json.data ? Object.values(json.data)[0] : null;
  // Refused: an error, a typed error, or `false` from a mutation that answers with a Boolean (logout of an unknown token).
  const refused = !!json.errors?.length || result === false || (typeof result === 'object' && result !== null && 'code' in result);
  expect({ where, writes: delta }).toEqual({ where, writes: refused ? {} : await cleanDeltaOf(target) });
  return refused ? 'refused' : 'stored';
}

describe('hostile text in every string argument of every mutation', () => {
  it('reaches every String, ID and JSON argument the schema declares', () => {
    for (const name of Object.keys(MUTATIONS)) {
      const declared = inputLeaves(name).filter((l) => STRINGISH.has(l.type)).map((l) => l.path.join('.'));
      expect({ name, missing: declared.filter((d) => !covered.get(name)?.has(d)) }).toEqual({ name, missing: [] });
    }
  });

  it.each(HOSTILE.map((t) => [JSON.stringify(t.length > 40 ? `${t.slice(0, 12)}… (${t.length} chars)` : t), t]))(
    '%s: stored as data or a typed error, in every place',
    async (_label, text) => {
      const outcomes = { stored: 0, refused: 0 };
      for (const target of targets) outcomes[await inject(target, text)]++;
      // Text PostgreSQL cannot hold (NUL) is refused everywhere; other text takes both paths.
      if (text.includes('\u0000')) expect(outcomes).toEqual({ stored: 0, refused: targets.length });
      else expect({ someStored: outcomes.stored > 0, someRefused: outcomes.refused > 0 }).toEqual({ someStored: true, someRefused: true });
    },
    300_000,
  );

  it('arbitrary strings (fast-check) in arbitrary places: the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: 'grapheme', maxLength: 64 })), async (target, text) => {
        await inject(target, text);
      }),
      propertyParams(150),
    );
  }, 300_000);
});

describe('text that is stored comes back exactly as sent', () => {
  const PRINTABLE = HOSTILE.filter((t) => !t.includes('\u0000') && t.length < 1000);
  const cases: [string, string, string, (r: Result) => unknown][] = [
    ['createWorkspace', 'description', 'workspace { description }', (r) => (r.workspace as Result).description],
    ['createMapping', 'fieldMappings.0.transform', 'mapping { fieldMappings { transform } }', (r) => ((r.mapping as Result).fieldMappings as Result[])[0]!.transform],
    ['createMapping', 'cteDefinitions.0.sql', 'mapping { cteDefinitions { sql } }', (r) => ((r.mapping as Result).cteDefinitions as Result[])[0]!.sql],
    ['updateOrganization', 'settings.extra.region', 'organization { settings { extra } }', (r) => (((r.organization as Result).settings as Result).extra as Result).region],
  ];

  it.each(cases)('%s input.%s', async (name, path, select, read) => {
    for (const text of PRINTABLE) {
      const c = MUTATIONS[name]!;
      const arranged = await c.arrange(world, world.callers.owner, 0);
      const res = await server.gql(mutationDocument(name, select), put(arranged.variables, ['input', ...path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))], text), world.callers.owner.token);
      const result = resultOf(res) as Result;
      expect({ text, stored: read(result) }).toEqual({ text, stored: text });
    }
  });
});
