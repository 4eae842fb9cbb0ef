import SchemaBuilder, { BasePlugin, isThenable, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';

type NodeOptions = { id?: { resolve?: (parent: unknown, args: object, context: unknown, info: unknown) => unknown } };

const ID_COLUMN = Symbol('id column');

/** A Node type's `id.resolve` that reads a column of the row (`id`), marked so the id can be read inline. */
export function idColumn<Row extends Record<K, string>, K extends keyof Row & string = 'id' & keyof Row & string>(
  column: K,
): ((row: Row) => string) & { [ID_COLUMN]: string } {
  return Object.assign((row: Row) => row[column], { [ID_COLUMN]: column });
}

/** The id resolvers this plugin made whose Node type reads a marked column: what each encodes. */
const columnIds = new WeakMap<GraphQLFieldResolver<unknown, unknown>, { typename: string; column: string; encode: (typename: string, id: string) => string }>();

/**
 * What an `id` field's final resolver does when it is this plugin's, unwrapped
 * by any other, over a column (idColumn): encode `typename` and the row's
 * `column`. graphql-jit reads such an id inline (jit-executor.ts).
 */
export function columnIdOf(resolver: GraphQLFieldResolver<unknown, unknown> | undefined) {
  return resolver ? columnIds.get(resolver) : undefined;
}

/**
 * The `id` of every Node type, resolved without a promise. The relay plugin
 * resolves it with an async function, so each listed object's id cost a
 * promise, an await and a microtask: a dashboard's nodes made that a twentieth
 * of its garbage (bench/README.md). Here the type's own `id.resolve` is
 * called and its value encoded with the same `encodeGlobalID`, at once when
 * it is a value, after it when it is a promise. Registered last, so it
 * replaces the relay plugin's resolver and every other plugin still wraps it.
 */
export class SyncGlobalIdPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const relay = this.builder.options.relay;
    if (fieldConfig.name !== (relay?.idFieldName ?? 'id') || fieldConfig.kind !== 'Object') return resolver;
    const typeConfig = this.buildCache.getTypeConfig(fieldConfig.parentType);
    const resolveId = (typeConfig.pothosOptions as NodeOptions).id?.resolve;
    const encode = relay?.encodeGlobalID;
    if (typeConfig.kind !== 'Object' || !resolveId || !encode) return resolver;
    if (!typeConfig.interfaces.some((ref) => this.buildCache.getTypeConfig(ref).name === 'Node')) return resolver;
    const typename = typeConfig.name;
    const resolve: GraphQLFieldResolver<unknown, Types['Context'], object> = (parent, args, context, info) => {
      const id = resolveId(parent, args, context, info);
      return isThenable(id) ? Promise.resolve(id).then((value) => encode(typename, String(value), context)) : encode(typename, String(id), context);
    };
    const column = (resolveId as { [ID_COLUMN]?: string })[ID_COLUMN];
    if (column) columnIds.set(resolve as GraphQLFieldResolver<unknown, unknown>, { typename, column, encode: (t, id) => encode(t, id, undefined as never) });
    return resolve;
  }
}

SchemaBuilder.registerPlugin('syncGlobalId', SyncGlobalIdPlugin);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Pothos' plugin registry
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      syncGlobalId: SyncGlobalIdPlugin<Types>;
    }
  }
}

export default 'syncGlobalId' as const;
