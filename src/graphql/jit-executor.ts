import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { execute, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GraphQLContext } from './context.js';

type Gateway = ApolloServerOptionsWithGateway<GraphQLContext>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

/** Compiled operations kept, most recently used last; clients send a handful of distinct documents. */
const MAX_COMPILED = 500;

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
      const result = compileQuery(schema, request.document, request.operationName ?? undefined);
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
