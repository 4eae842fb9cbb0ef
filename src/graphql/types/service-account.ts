import type { ServiceAccountKeyRow, ServiceAccountRow } from '../../db/tables/service-accounts.table.js';
import * as accounts from '../../service-accounts/service-account.manager.js';
import { builder } from '../builder.js';
import { connectionOf } from './refs.js';
import { connectionComplexity, idOf, scopeOf, toConnection } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { RoleEnum } from './user.js';

export const ServiceAccountRef = builder.loadableNodeRef('ServiceAccount', {
  id: { resolve: (a: ServiceAccountRow) => a.id },
  load: (ids: string[], ctx) => accounts.findServiceAccountsByIds(scopeOf(ctx), ids),
  sort: (a) => a.id,
});

const ServiceAccountKeyRef = builder.objectRef<ServiceAccountKeyRow>('ServiceAccountKey').implement({
  description: 'An API key. Only its prefix is ever shown again after creation.',
  fields: (t) => ({
    id: t.globalID({ resolve: (k) => ({ type: 'ServiceAccountKey', id: k.id }) }),
    prefix: t.exposeString('key_prefix'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    lastUsedAt: t.expose('last_used_at', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revoked_at', { type: 'DateTime', nullable: true }),
  }),
});

ServiceAccountRef.implement({
  description: 'A non-person caller (CI, a scheduler) acting for the organization with a role, by API key.',
  authScopes: { admin: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (a) => a.role }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    lastUsedAt: t.expose('last_used_at', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revoked_at', { type: 'DateTime', nullable: true }),
    keys: t.loadableList({
      type: ServiceAccountKeyRef,
      load: (ids: string[], ctx) => accounts.keysByAccount(scopeOf(ctx), ids),
      resolve: (a) => a.id,
    }),
  }),
});

const ServiceAccountConnection = connectionOf(ServiceAccountRef, 'ServiceAccount');

const ApiKeyPayload = builder.objectRef<{ serviceAccount: ServiceAccountRow; apiKey: string }>('ApiKeyPayload').implement({
  fields: (t) => ({
    serviceAccount: t.field({ type: ServiceAccountRef, resolve: (p) => p.serviceAccount }),
    apiKey: t.exposeString('apiKey', { description: 'Use as "Authorization: Bearer <apiKey>". Shown this once; store it now.' }),
  }),
});

const CreateServiceAccountInput = builder.inputType('CreateServiceAccountInput', {
  fields: (t) => ({ name: t.string({ required: true }), role: t.field({ type: RoleEnum, required: true }) }),
});

builder.queryFields((t) => ({
  serviceAccounts: t.connection(
    {
      type: ServiceAccountRef,
      authScopes: { admin: true },
      complexity: connectionComplexity,
      resolve: async (_root, args, ctx) => {
        const scope = scopeOf(ctx);
        return toConnection(await accounts.listServiceAccounts(scope, args), () => accounts.countServiceAccounts(scope));
      },
    },
    ServiceAccountConnection,
  ),
}));

const keyErrors = { types: MUTATION_ERRORS, directResult: true } as const;

builder.mutationFields((t) => ({
  createServiceAccount: t.field({
    type: ApiKeyPayload,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateServiceAccountInput, required: true }) },
    errors: keyErrors,
    resolve: (_root, { input }, ctx) => accounts.createServiceAccount(scopeOf(ctx), input),
  }),
  createServiceAccountKey: t.field({
    type: ApiKeyPayload,
    description: 'A further key (for rotation): revoke the old one once the new one is deployed.',
    authScopes: { admin: true },
    args: { serviceAccountId: t.arg.globalID({ required: true }) },
    errors: keyErrors,
    resolve: (_root, args, ctx) => accounts.createServiceAccountKey(scopeOf(ctx), idOf(args.serviceAccountId, 'ServiceAccount')),
  }),
  revokeServiceAccountKey: t.field({
    type: ServiceAccountRef,
    authScopes: { admin: true },
    args: { keyId: t.arg.globalID({ required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'serviceAccount' } },
    resolve: async (_root, args, ctx) => (await accounts.revokeServiceAccountKey(scopeOf(ctx), idOf(args.keyId, 'ServiceAccountKey'))).service_account_id,
  }),
  revokeServiceAccount: t.field({
    type: ServiceAccountRef,
    description: 'Revokes the account and all its keys.',
    authScopes: { admin: true },
    args: { id: t.arg.globalID({ required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'serviceAccount' } },
    resolve: (_root, args, ctx) => accounts.revokeServiceAccount(scopeOf(ctx), idOf(args.id, 'ServiceAccount')),
  }),
}));
