import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { hasRole } from '../auth/actor.js';
import { ForbiddenError, QueryLimitError, UnauthenticatedError, ValidationError } from '../errors.js';
import type { GraphQLContext } from './context.js';
import InputGuardPlugin from './input-guard.js';
import { decodeGlobalId, encodeGlobalId } from './relay.js';

export interface SchemaTypes {
  Context: GraphQLContext;
  AuthScopes: { authenticated: boolean; viewer: boolean; editor: boolean; admin: boolean; owner: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}

/** Whether a global id's type is one `node(id:)` can load (an object type implementing Node). */
function isNodeTypename(schema: GraphQLSchema, typename: string): boolean {
  const type = schema.getType(typename);
  return isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Plugin order matters: the first wraps the rest. Complexity limits are
 * checked outermost; the errors plugin wraps the input guard (text PostgreSQL
 * can store, bounded JSON) and scope-auth, so that refused input or a refused
 * mutation returns a typed ValidationError or ForbiddenError; validation maps zod issues to our
 * ValidationError with its path.
 */
export const builder = new SchemaBuilder<SchemaTypes>({
  plugins: [ComplexityPlugin, ErrorsPlugin, InputGuardPlugin, ScopeAuthPlugin, RelayPlugin, ValidationPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false, complexity: { field: 1, multiplier: 1 } },
    nodeFieldOptions: { nullable: false },
    // An id of a type that is not a Node (AuditEntry, ServiceAccountKey) is not found: null, like a missing one.
    nodeQueryOptions: {
      authScopes: { authenticated: true },
      nullable: true,
      resolve: (_root, args, _ctx, info, resolveNode) => (isNodeTypename(info.schema, args.id.typename) ? resolveNode(args.id) : null),
    },
    nodesQueryOptions: {
      authScopes: { authenticated: true },
      resolve: (_root, args, _ctx, info, resolveNodes) => {
        // Pothos' resolveNodes reads args.ids, so the filtered list replaces it there too.
        const ids = args.ids.map((id) => (isNodeTypename(info.schema, id.typename) ? id : null)) as typeof args.ids;
        args.ids = ids;
        return resolveNodes(ids);
      },
    },
    encodeGlobalID: encodeGlobalId,
    decodeGlobalID: decodeGlobalId,
  },
  errors: {
    defaultTypes: [ValidationError],
    // Input validation happens before authorization; callers see the same
    // rules the schema documents, nothing about data.
    unsafelyHandleInputErrors: true,
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
    defaultResultOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Payload` },
  },
  scopeAuth: {
    authScopes: (ctx) => {
      const actor = ctx.scope?.actor;
      return {
        authenticated: !!actor,
        viewer: !!actor && hasRole(actor, 'viewer'),
        editor: !!actor && hasRole(actor, 'editor'),
        admin: !!actor && hasRole(actor, 'admin'),
        owner: !!actor && hasRole(actor, 'owner'),
      };
    },
    unauthorizedError: (_parent, ctx) =>
      ctx.scope ? new ForbiddenError('Your role does not allow this') : new UnauthenticatedError(),
  },
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    limit: (ctx) => ctx.limits,
    complexityError: (kind, result) => {
      const [actual, max] = {
        Depth: [result.depth, result.maxDepth],
        Breadth: [result.breadth, result.maxBreadth],
        Complexity: [result.complexity, result.maxComplexity],
      }[kind];
      return new QueryLimitError(`Query ${kind.toLowerCase()} ${actual} exceeds the limit of ${max}; ask for less per request`);
    },
  },
  validation: {
    validationError: (failure) => {
      const issue = failure.issues[0];
      const path = (issue?.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p)));
      return new ValidationError(issue ? `${path.join('.') || 'input'}: ${issue.message}` : 'Invalid input', path);
    },
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
