import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  execute,
  GraphQLNonNull,
  GraphQLScalarType,
  isObjectType,
  type DocumentNode,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GraphQLContext } from './context.js';
import { columnIdOf } from './sync-global-id.js';

type Gateway = ApolloServerOptionsWithGateway<GraphQLContext>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

/** Compiled operations kept, most recently used last; clients send a handful of distinct documents. */
const MAX_COMPILED = 500;

/**
 * A field that only reads its parent's property of another name, e.g.
 * `sourceTable` ← `source_table`; with `type`, one whose value is that
 * property serialised by `type` (a Node's `id`: the row's id, encoded).
 */
interface Exposure {
  field: GraphQLField<unknown, unknown>;
  property: string;
  type?: GraphQLOutputType;
}

/** Per Node type, an ID whose serialisation is the encoding of the row's id as that type's global ID. */
const globalIdTypes = new Map<string, GraphQLOutputType>();
function globalIdType(typename: string, encode: (typename: string, id: string) => string): GraphQLOutputType {
  let type = globalIdTypes.get(typename);
  if (!type) {
    const scalar = new GraphQLScalarType({ name: `${typename}GlobalID`, serialize: (id) => encode(typename, String(id)) });
    globalIdTypes.set(typename, (type = new GraphQLNonNull(scalar)));
  }
  return type;
}

/**
 * The fields defined with Pothos' `t.expose…('source_table')` under another
 * name, whose resolver no plugin wrapped (no scope, no argument guard): they
 * return `parent[property]` and nothing else. And the `id` of each Node type
 * whose id is a column (idColumn) and whose resolver is sync-global-id's,
 * unwrapped: it returns the column encoded as the type's global ID.
 */
export function exposuresOf(schema: GraphQLSchema): Exposure[] {
  const found: Exposure[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const id = columnIdOf(field.resolve as never);
      if (id && field.name === 'id') {
        found.push({ field: field as GraphQLField<unknown, unknown>, property: id.column, type: globalIdType(id.typename, id.encode) });
        continue;
      }
      const property = field.extensions?.pothosExposedField;
      if (typeof property !== 'string' || property === field.name) continue;
      if (field.resolve !== field.extensions?.pothosOriginalResolve) continue;
      found.push({ field: field as GraphQLField<unknown, unknown>, property });
    }
  }
  return found;
}

/**
 * Compiles `document` with the exposed fields read inline. graphql-jit calls a
 * field's resolver through a closure, an arguments object, an info object and
 * a response path of as many objects as the field is deep; a field without a
 * resolver it reads as `parent[field.name]` in the compiled code. For the
 * length of the (synchronous) compilation only, each exposure's field is
 * named by its property and has no resolver, so the code reads
 * `parent.source_table` into the response key `sourceTable`; an `id` gets, for
 * as long, a scalar type of its Node type whose serialisation encodes the
 * column (graphql-jit keys serialisers by the scalar's name, one per type).
 * Nothing else runs meanwhile, and the schema is as it was once compileQuery returns. On
 * the error path the compiled code would name the field by its property, but
 * a query whose compiled run reports an error is answered by graphql-js.
 */
export function compileReadingExposures(schema: GraphQLSchema, exposures: readonly Exposure[], document: DocumentNode, operationName: string | undefined) {
  const saved = exposures.map(({ field }) => ({ name: field.name, resolve: field.resolve, type: field.type }));
  try {
    for (const { field, property, type } of exposures) {
      field.name = property;
      field.resolve = undefined;
      if (type) field.type = type;
    }
    return compileQuery(schema, document, operationName);
  } finally {
    exposures.forEach(({ field }, i) => Object.assign(field, saved[i]));
  }
}

/**
 * Executes operations with graphql-jit, which compiles each document once into
 * a function, instead of graphql-js walking the selection for every object of
 * every response. Apollo Server 4+ has no `executor` option; its `gateway`
 * option is the supported way to supply one (graphql-jit issue #219). Apollo
 * still parses, validates (with our rules), runs the plugins and formats errors:
 * only execution changes. Resolvers, and with them authorization, complexity
 * limits, loaders and typed errors, are the schema's own.
 *
 * graphql-jit reports some errors differently from graphql-js (no path on an
 * error that nulls a parent, terser variable messages). Errors are rare, so a
 * query whose compiled run reports any is answered again by graphql-js, with
 * the same context (its loaders hold what was already read): clients and the
 * masking rules always see graphql-js' errors. Mutations (single objects, side
 * effects) always run on graphql-js.
 */
export function jitGateway(schema: GraphQLSchema): Gateway {
  const compiled = new Map<string, CompiledQuery>();
  const exposures = exposuresOf(schema);
  const graphqlJs: Executor = async (request) =>
    execute({
      schema,
      document: request.document,
      contextValue: request.context,
      variableValues: request.request.variables,
      operationName: request.operationName,
    });
  const executor: Executor = async (request) => {
    if (request.operation.operation !== 'query') return graphqlJs(request);
    const key = `${request.queryHash}\u0000${request.operationName ?? ''}`;
    let query = compiled.get(key);
    if (query) {
      compiled.delete(key);
    } else {
      const result = compileReadingExposures(schema, exposures, request.document, request.operationName ?? undefined);
      if (!isCompiledQuery(result)) return graphqlJs(request);
      query = result;
      if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    }
    compiled.set(key, query);
    const result = await query.query(undefined, request.context, request.request.variables ?? {});
    return result.errors?.length ? graphqlJs(request) : result;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
}
