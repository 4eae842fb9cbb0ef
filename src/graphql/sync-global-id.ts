import SchemaBuilder, { BasePlugin, isThenable, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';

type NodeOptions = { id?: { resolve?: (parent: unknown, args: object, context: unknown, info: unknown) => unknown } };

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
    return (parent, args, context, info) => {
      const id = resolveId(parent, args, context, info);
      return isThenable(id) ? Promise.resolve(id).then((value) => encode(typename, String(value), context)) : encode(typename, String(id), context);
    };
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
