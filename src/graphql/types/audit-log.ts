import * as audit from '../../audit/audit.manager.js';
import type { AuditLogRow } from '../../db/tables/audit-log.table.js';
import { builder } from '../builder.js';
import { connectionOf } from './refs.js';
import { connectionComplexity, encodeGlobalId, scopeOf, toConnection } from '../relay.js';

const AuditEntryRef = builder.objectRef<AuditLogRow>('AuditEntry').implement({
  description: 'One data-changing action: who, what, the fields before and after (secrets redacted), from where. Written in the same transaction as the change.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID of the entry (audit entries are not nodes: node(id:) does not fetch them).' }),
    action: t.exposeString('action', {
      description: '<entity>.<verb>, e.g. workspace.create, mapping.update, mapping.setStatus, user.updateRole, auth.login, auth.refresh.',
    }),
    entityType: t.exposeString('entity_type', { description: 'GraphQL type name of the entity acted on, e.g. Workspace.' }),
    entityId: t.field({
      type: 'ID',
      nullable: true,
      description: 'The global ID of the entity acted on.',
      resolve: (e) => (e.entity_id ? encodeGlobalId(e.entity_type, e.entity_id) : null),
    }),
    actorType: t.exposeString('actor_type', { description: 'user, service_account or system (the operator CLI).' }),
    actorId: t.field({
      type: 'ID',
      nullable: true,
      description: 'Global ID of the User or ServiceAccount that acted; null for system.',
      resolve: (e) => (e.actor_id ? encodeGlobalId(e.actor_type === 'service_account' ? 'ServiceAccount' : 'User', e.actor_id) : null),
    }),
    changes: t.field({
      type: 'JSONObject',
      description: 'The stored fields that changed, as { field: { before, after } } (database column names); secret values read "[redacted]". {} when nothing is recorded.',
      resolve: (e) => e.changes,
    }),
    requestId: t.exposeString('request_id', { nullable: true, description: 'The x-request-id of the request that made the change; matches the server log.' }),
    clientAddress: t.exposeString('client_address', { nullable: true, description: "The caller's IP address as the server saw it." }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the change was made.' }),
  }),
});

const AuditEntryConnection = connectionOf(AuditEntryRef, 'AuditEntry');

builder.queryFields((t) => ({
  auditLog: t.connection(
    {
      type: AuditEntryRef,
      description:
        "The organization's audit log, newest first, at most 100 a page; the filters combine with AND. Admins and owners.",
      authScopes: { admin: true },
      complexity: connectionComplexity,
      args: {
        action: t.arg.string({ description: 'Only entries of exactly this action, e.g. mapping.update.' }),
        entityType: t.arg.string({ description: 'Only entries about this type, e.g. Mapping. Implied by entityId.' }),
        entityId: t.arg.globalID({ description: 'Only entries about this entity (global ID).' }),
        actorId: t.arg.globalID({ description: 'Only entries by this User or ServiceAccount (global ID).' }),
        createdAfter: t.arg({ type: 'DateTime', description: 'Only entries after this instant (exclusive).' }),
        createdBefore: t.arg({ type: 'DateTime', description: 'Only entries before this instant (exclusive).' }),
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
