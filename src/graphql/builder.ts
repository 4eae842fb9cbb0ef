import SchemaBuilder from '@pothos/core';
import ComplexityPlugin, { type ComplexityErrorKind } from '@pothos/plugin-complexity';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { GraphQLScalarType, isObjectType, type GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { hasRole } from '../auth/actor.js';
import { ForbiddenError, QueryLimitError, UnauthenticatedError, ValidationError } from '../errors.js';
import type { GraphQLContext } from './context.js';
import InputGuardPlugin from './input-guard.js';
import SyncGlobalIdPlugin from './sync-global-id.js';
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

type LimitKind = `${ComplexityErrorKind}`;
type LimitResult = { depth: number; breadth: number; complexity: number; maxDepth?: number; maxBreadth?: number; maxComplexity?: number };

/** The error of a query over a depth/breadth/complexity limit (also checked when a subscription starts). */
export function queryLimitError(kind: LimitKind, result: LimitResult): QueryLimitError {
  const [actual, max] = {
    Depth: [result.depth, result.maxDepth],
    Breadth: [result.breadth, result.maxBreadth],
    Complexity: [result.complexity, result.maxComplexity],
  }[kind];
  return new QueryLimitError(`Query ${kind.toLowerCase()} ${actual} exceeds the limit of ${max}; ask for less per request`);
}

/**
 * Plugin order matters: the first wraps the rest. Complexity limits are
 * checked outermost; the errors plugin wraps the input guard (text PostgreSQL
 * can store, bounded JSON) and scope-auth, so that refused input or a refused
 * mutation returns a typed ValidationError or ForbiddenError; validation maps zod issues to our
 * ValidationError with its path. The Node ids' synchronous resolver is innermost (last).
 */
export const builder = new SchemaBuilder<SchemaTypes>({
  plugins: [ComplexityPlugin, ErrorsPlugin, InputGuardPlugin, ScopeAuthPlugin, RelayPlugin, ValidationPlugin, DataloaderPlugin, SyncGlobalIdPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Descriptions of what the relay plugin generates: Node, PageInfo, node/nodes and the paging arguments.
    nodeTypeOptions: { description: 'An object with a global ID; `node(id:)` fetches any of them.' },
    idFieldOptions: { description: 'Global ID: opaque and stable; pass it to `node(id:)` and to mutations.' },
    // An id of a type that is not a Node (AuditEntry, ServiceAccountKey) is not found: null, like a missing one.
    nodeQueryOptions: {
      description: 'Any object by its global ID, or null when it does not exist or belongs to another organization. Any signed-in caller.',
      authScopes: { authenticated: true },
      nullable: true,
      args: { id: { description: 'The global ID of the object.' } },
      resolve: (_root, args, _ctx, info, resolveNode) => (isNodeTypename(info.schema, args.id.typename) ? resolveNode(args.id) : null),
    },
    nodesQueryOptions: {
      description: 'Several objects by global ID, in the order asked for; null for each that does not exist or belongs to another organization. Any signed-in caller.',
      authScopes: { authenticated: true },
      args: { ids: { description: 'Global IDs of the objects; lookups of one type are batched into one query.' } },
      resolve: (_root, args, _ctx, info, resolveNodes) => {
        // Pothos' resolveNodes reads args.ids, so the filtered list replaces it there too.
        const ids = args.ids.map((id) => (isNodeTypename(info.schema, id.typename) ? id : null)) as typeof args.ids;
        args.ids = ids;
        return resolveNodes(ids);
      },
    },
    pageInfoTypeOptions: { description: 'Where a page sits in its list, and the cursors to fetch the next or previous page.' },
    pageInfoFieldOptions: { description: 'How to fetch the neighbouring pages.' },
    hasNextPageFieldOptions: { description: 'More items follow this page (older items: lists are newest first).' },
    hasPreviousPageFieldOptions: { description: 'Items come before this page (newer items).' },
    startCursorFieldOptions: { description: 'Cursor of the first item of the page; pass it as `before` with `last`. Null on an empty page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of the page; pass it as `after` with `first`. Null on an empty page.' },
    edgesFieldOptions: { description: 'The items of this page, each with its cursor.', nullable: false, complexity: { field: 1, multiplier: 1 } },
    nodeFieldOptions: { description: 'The item.', nullable: false },
    cursorFieldOptions: { description: 'Opaque position of this item; pass it as `after` or `before` to page from here.' },
    firstArgOptions: { description: 'Take the first items: the newest, or those just after `after`. 0 to 100; 20 when neither `first` nor `last` is given.' },
    afterArgOptions: { description: 'Return items after this cursor (an `endCursor` or edge `cursor`). Goes with `first`.' },
    lastArgOptions: { description: 'Take the last items: the oldest, or those just before `before`. 0 to 100; not together with `first`.' },
    beforeArgOptions: { description: 'Return items before this cursor (a `startCursor` or edge `cursor`). Goes with `last`.' },
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
    // Subscription fields are authorized when they start, not at every event.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, ctx) =>
      ctx.scope ? new ForbiddenError('Your role does not allow this') : new UnauthenticatedError(),
  },
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    // Measured once: the cost gate already found this operation within them (context.ts, limitsChecked).
    limit: (ctx) => (ctx.limitsChecked ? {} : ctx.limits),
    complexityError: (kind, result) => queryLimitError(kind, result),
  },
  validation: {
    validationError: (failure) => {
      const issue = failure.issues[0];
      const path = (issue?.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p)));
      return new ValidationError(issue ? `${path.join('.') || 'input'}: ${issue.message}` : 'Invalid input', path);
    },
  },
});

/**
 * graphql-scalars' DateTime, serialised to its ISO string here rather than
 * left a Date for JSON.stringify to call toJSON on: the same text, and a
 * dashboard's timestamps were half of its response's stringify time
 * (bench/README.md).
 */
const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  serialize: (value) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : (DateTimeResolver.serialize(value) as Date)).toISOString(),
});

builder.addScalarType('DateTime', DateTime);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
