import * as audit from '../../audit/audit.manager.js';
import type { AuditLogRow } from '../../db/tables/audit-log.table.js';
import { builder } from '../builder.js';
import { connectionOf } from './refs.js';
import { connectionComplexity, encodeGlobalId, scopeOf, toConnection } from '../relay.js';

const AuditEntryRef = builder.objectRef<AuditLogRow>('AuditEntry').implement({
  description: 'One data-changing action: who, what, the fields before and after (secrets redacted), from where.',
  fields: (t) => ({
    id: t.exposeID('id'),
    action: t.exposeString('action', { description: 'e.g. workspace.create, mapping.update, auth.login' }),
    entityType: t.exposeString('entity_type'),
    entityId: t.field({
      type: 'ID',
      nullable: true,
      description: 'The global ID of the entity acted on.',
      resolve: (e) => (e.entity_id ? encodeGlobalId(e.entity_type, e.entity_id) : null),
    }),
    actorType: t.exposeString('actor_type', { description: 'user, service_account or system' }),
    actorId: t.field({
      type: 'ID',
      nullable: true,
      resolve: (e) => (e.actor_id ? encodeGlobalId(e.actor_type === 'service_account' ? 'ServiceAccount' : 'User', e.actor_id) : null),
    }),
    changes: t.field({ type: 'JSONObject', description: '{ field: { before, after } }', resolve: (e) => e.changes }),
    requestId: t.exposeString('request_id', { nullable: true }),
    clientAddress: t.exposeString('client_address', { nullable: true }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
  }),
});

const AuditEntryConnection = connectionOf(AuditEntryRef, 'AuditEntry');

builder.queryFields((t) => ({
  auditLog: t.connection(
    {
      type: AuditEntryRef,
      description: "The organization's audit log, newest first. Admins only.",
      authScopes: { admin: true },
      complexity: connectionComplexity,
      args: {
        action: t.arg.string(),
        entityType: t.arg.string(),
        entityId: t.arg.globalID(),
        actorId: t.arg.globalID(),
        createdAfter: t.arg({ type: 'DateTime' }),
        createdBefore: t.arg({ type: 'DateTime' }),
      },
      resolve: async (_root, args, ctx) => {
        const scope = scopeOf(ctx);
        const filter = {
          action: args.action,
          entityType: args.entityType ?? args.entityId?.typename,
          entityId: args.entityId?.id,
          actorId: args.actorId?.id,
          createdAfter: args.createdAfter,
          createdBefore: args.createdBefore,
        };
        return toConnection(await audit.listAuditEntries(scope, filter, args), () => audit.countAuditEntries(scope, filter));
      },
    },
    AuditEntryConnection,
  ),
}));
