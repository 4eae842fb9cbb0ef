import {
  CompiledQuery,
  sql,
  WithSchemaPlugin,
  type Compilable,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawBuilder,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { LRUCache } from 'lru-cache';
import type { PlatformDb, TenantDb } from './database.js';

type AnyDb = PlatformDb | TenantDb;

/**
 * Statements compiled once. Kysely builds a query's operation tree, runs the
 * schema plugin over it and compiles it to SQL on every call: for a read by id
 * (`node(id:)`) that was ≈ 12 % of the API's CPU per request (bench/README.md).
 * A statement whose text depends only on the schema it runs in is compiled the
 * first time per schema and afterwards sent with each call's parameters.
 */

/** The schema a handle's tables are qualified with, for the handles withSchemaOf made (tenancy's and the platform's). */
const schemas = new WeakMap<object, string>();

/**
 * Kysely's `withSchema` builds a new plugin per call, and its transformer
 * binds a function per kind of operation node (about a hundred) in its
 * constructor: a tenant handle per request was about 4 % of a small read's
 * allocation (bench/README.md). The plugin keeps no state between queries
 * (it transforms each synchronously), so one per schema serves every handle;
 * the least recently used are made again.
 */
const schemaPlugins = new LRUCache<string, SchemaPlugin>({ max: 1_000 });

/**
 * Kysely's plugin for one schema, shared. Its transformer notes a query's
 * tables and CTE names while it transforms the query and forgets them after;
 * a transformation that throws would leave them noted for every later query
 * of the schema (a CTE named like a table would leave that table
 * unqualified), so a throw replaces the transformer.
 */
class SchemaPlugin implements KyselyPlugin {
  #plugin: WithSchemaPlugin;
  constructor(private readonly schema: string) {
    this.#plugin = new WithSchemaPlugin(schema);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    try {
      return this.#plugin.transformQuery(args);
    } catch (err) {
      this.#plugin = new WithSchemaPlugin(this.schema);
      throw err;
    }
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return this.#plugin.transformResult(args);
  }
}

/**
 * `db.withSchema(schema)`, with the schema's plugin made once, recorded for
 * compiledOnce. Our handles carry no other plugin, so appending it
 * (`withPlugin`) is the same as Kysely's putting it first.
 */
export function withSchemaOf<D extends AnyDb>(db: D, schema: string): D {
  let plugin = schemaPlugins.get(schema);
  if (plugin === undefined) schemaPlugins.set(schema, (plugin = new SchemaPlugin(schema)));
  const qualified = db.withPlugin(plugin) as D;
  schemas.set(qualified, schema);
  return qualified;
}

/** The SQL text per schema and name: 10,000 organizations × a few statements; the least recently used are compiled again. */
const compiled = new LRUCache<string, string>({ max: 20_000 });

/**
 * Runs the statement `build()` makes on `db`, compiled once per schema under
 * `name`. `parameters` are the statement's, in the order its text uses them:
 * the first build is checked to use exactly those values, so a statement
 * whose text would depend on them (an `in (…)` list's length) is refused.
 * Only the text is kept (not the first call's values), and each run is a
 * query of its own (Kysely's query id). A handle whose schema is not known is
 * built and compiled every time.
 */
export async function compiledOnce<R>(db: AnyDb, name: string, build: () => Compilable<R>, parameters: readonly unknown[]): Promise<R[]> {
  const schema = schemas.get(db);
  if (schema === undefined) return (await db.executeQuery(build())).rows;
  const key = `${schema}\u0000${name}`;
  let text = compiled.get(key);
  if (text === undefined) {
    const query = build().compile();
    if (query.parameters.length !== parameters.length || query.parameters.some((p, i) => p !== parameters[i])) {
      throw new Error(`compiledOnce(${name}): the statement's parameters are not the ones given, in order`);
    }
    compiled.set(key, (text = query.sql));
  }
  return (await db.executeQuery(CompiledQuery.raw(text, [...parameters]))).rows as R[];
}

/** `= any($1)`: one array parameter whatever the number of values, so the text stays the same. */
export function anyOf<T>(values: readonly T[]): RawBuilder<T> {
  return sql<T>`any(${values})`;
}
